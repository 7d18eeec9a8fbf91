#include "src/service/example_catalog.h"

#include <algorithm>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/storage/example_filter.h"
#include "src/storage/example_id.h"
#include "src/util/proto_time.h"
#include "src/util/stable_hash.h"

namespace ftcapture {
namespace {

// In credited_: a capture of the reply is under way.
constexpr int64_t kCapturing = -1;

bool StatusMatches(v1::ReviewStatus filter, int status) {
  return filter == v1::REVIEW_STATUS_UNSPECIFIED || filter == status;
}

bool LabelMatches(v1::Label filter, int label) {
  return filter == v1::LABEL_UNSPECIFIED || filter == label;
}

}  // namespace

ExampleCatalog::Fingerprint ExampleCatalog::IdFingerprint(
    absl::string_view id) {
  return ExampleIdKey(id);
}

ExampleCatalog::Fingerprint ExampleCatalog::ReplyFingerprint(
    absl::string_view session_id, absl::string_view turn_id) {
  return ReplyKey(session_id, turn_id);
}

void ExampleCatalog::Reserve(size_t examples) {
  MutexLock lock(&mu_);
  entries_.reserve(examples);
  by_id_.reserve(examples);
  credited_.reserve(examples);
  by_feedback_turn_.reserve(examples);
}

CatalogEntry ExampleCatalog::EntryOf(const ExampleSummaryView& example,
                                     uint64_t offset) {
  CatalogEntry entry;
  entry.id = std::string(example.id);
  entry.offset = offset;
  entry.captured_at = example.captured_at;
  entry.label = example.label;
  entry.source = example.source;
  entry.status = example.status == v1::REVIEW_STATUS_UNSPECIFIED
                     ? v1::REVIEW_STATUS_PENDING
                     : example.status;
  entry.is_pair = example.is_pair;
  entry.redacted = example.redacted;
  entry.session_key = SessionKey(example.session_id);
  return entry;
}

int64_t ExampleCatalog::AppendEntry(CatalogEntry entry) {
  const int64_t index = static_cast<int64_t>(entries_.size());
  if (entry.is_pair) ++pairs_;
  if (entry.label == v1::LABEL_POSITIVE) ++positive_;
  if (entry.label == v1::LABEL_NEGATIVE) ++negative_;
  if (entry.source == v1::SOURCE_IMPORTED) ++imported_;
  if (entry.redacted) ++redacted_;
  first_at_ = std::min(first_at_, entry.captured_at);
  last_at_ = std::max(last_at_, entry.captured_at);
  CountDay(entry.captured_at);
  entries_.push_back(std::move(entry));
  CountIn(index, +1);
  NoteRecent(index);
  return index;
}

void ExampleCatalog::PrefetchKeys(const Keys& pending) const {
  const ExampleKeys& keys = pending.keys;
  by_id_.prefetch(keys.id);
  if (keys.has_credit) credited_.prefetch(keys.credit);
  if (keys.has_feedback) by_feedback_turn_.prefetch(keys.feedback);
}

void ExampleCatalog::InsertKeys(const Keys& pending) {
  const ExampleKeys& keys = pending.keys;
  by_id_[keys.id] = pending.index;
  if (keys.has_credit) credited_[keys.credit] = pending.index;
  if (keys.has_feedback) by_feedback_turn_[keys.feedback] = pending.index;
}

void ExampleCatalog::Add(const ExampleSummaryView& example, uint64_t offset) {
  Keys keys{KeysOf(example)};
  CatalogEntry entry = EntryOf(example, offset);
  MutexLock lock(&mu_);
  keys.index = AppendEntry(std::move(entry));
  InsertKeys(keys);
}

void ExampleCatalog::Loader::Add(const ExampleSummaryView& example,
                                 uint64_t offset) {
  Keys keys{KeysOf(example)};
  CatalogEntry entry = EntryOf(example, offset);
  MutexLock lock(&catalog_->mu_);
  keys.index = catalog_->AppendEntry(std::move(entry));
  catalog_->PrefetchKeys(keys);
  catalog_->loading_.push_back(keys);
  if (catalog_->loading_.size() > kLoadAhead) {
    catalog_->InsertKeys(catalog_->loading_.front());
    catalog_->loading_.pop_front();
  }
}

void ExampleCatalog::Loader::Finish() {
  MutexLock lock(&catalog_->mu_);
  for (const Keys& keys : catalog_->loading_) catalog_->InsertKeys(keys);
  catalog_->loading_.clear();
}

uint64_t ExampleCatalog::SessionKey(absl::string_view session_id) {
  return absl::Hash<absl::string_view>()(session_id);
}

int64_t ExampleCatalog::Remove(const absl::flat_hash_set<uint64_t>& offsets) {
  MutexLock lock(&mu_);
  absl::flat_hash_set<int64_t> gone;
  for (int64_t index = 0; index < static_cast<int64_t>(entries_.size());
       ++index) {
    if (offsets.contains(entries_[index].offset) && !removed_.contains(index)) {
      gone.insert(index);
    }
  }
  if (gone.empty()) return 0;
  for (int64_t index : gone) Forget(index);
  // The reply keys point at indexes; drop those of the erased entries.
  for (auto* keys : {&credited_, &by_feedback_turn_}) {
    absl::erase_if(*keys, [&gone](const auto& key_and_index) {
      return gone.contains(key_and_index.second);
    });
  }
  RecountTimes();
  return static_cast<int64_t>(gone.size());
}

void ExampleCatalog::Forget(int64_t index) {
  const CatalogEntry& entry = entries_[index];
  removed_.insert(index);
  auto by_id = by_id_.find(IdFingerprint(entry.id));
  if (by_id != by_id_.end() && by_id->second == index) by_id_.erase(by_id);
  CountIn(index, -1);
  if (entry.is_pair) --pairs_;
  if (entry.label == v1::LABEL_POSITIVE) --positive_;
  if (entry.label == v1::LABEL_NEGATIVE) --negative_;
  if (entry.source == v1::SOURCE_IMPORTED) --imported_;
  if (entry.redacted) --redacted_;
  auto day = per_day_.find(UtcDate(entry.captured_at));
  if (day != per_day_.end() && --day->second == 0) {
    if (day_count_ == &day->second) {
      day_count_ = nullptr;
      day_start_ = absl::InfiniteFuture();
      day_end_ = absl::InfinitePast();
    }
    per_day_.erase(day);
  }
}

void ExampleCatalog::RecountTimes() {
  first_at_ = absl::InfiniteFuture();
  last_at_ = absl::InfinitePast();
  recent_.clear();
  for (int64_t index = 0; index < static_cast<int64_t>(entries_.size());
       ++index) {
    if (removed_.contains(index)) continue;
    first_at_ = std::min(first_at_, entries_[index].captured_at);
    last_at_ = std::max(last_at_, entries_[index].captured_at);
    NoteRecent(index);
  }
}

void ExampleCatalog::MoveOffsets(
    const std::vector<std::pair<uint64_t, uint64_t>>& moved) {
  absl::flat_hash_map<uint64_t, uint64_t> to;
  to.reserve(moved.size());
  for (const auto& [from, new_offset] : moved) to[from] = new_offset;
  MutexLock lock(&mu_);
  for (int64_t index = 0; index < static_cast<int64_t>(entries_.size());
       ++index) {
    if (removed_.contains(index)) continue;
    auto it = to.find(entries_[index].offset);
    if (it != to.end()) entries_[index].offset = it->second;
  }
}

void ExampleCatalog::CountIn(int64_t index, int delta) {
  const CatalogEntry& entry = entries_[index];
  const CellKey key{entry.status, entry.label, entry.is_pair};
  if (delta > 0) {
    cells_[key].insert(index);
  } else {
    auto cell = cells_.find(key);
    cell->second.erase(index);
    if (cell->second.empty()) cells_.erase(cell);
  }
  if (entry.status == v1::REVIEW_STATUS_APPROVED) approved_ += delta;
  if (entry.status == v1::REVIEW_STATUS_REJECTED) rejected_ += delta;
}

void ExampleCatalog::CountDay(absl::Time captured_at) {
  if (captured_at < day_start_ || captured_at >= day_end_) {
    day_start_ = absl::UnixEpoch() +
                 absl::Floor(captured_at - absl::UnixEpoch(), absl::Hours(24));
    day_end_ = day_start_ + absl::Hours(24);
    day_count_ = &per_day_[UtcDate(captured_at)];
  }
  ++*day_count_;
}

void ExampleCatalog::NoteRecent(int64_t index) {
  const absl::Time at = entries_[index].captured_at;
  // recent_ is sorted newest first: skip the newer entries.
  auto position = recent_.begin();
  while (position != recent_.end() && entries_[*position].captured_at >= at) {
    ++position;
  }
  if (position - recent_.begin() >= kRecentExamples) return;
  recent_.insert(position, index);
  if (static_cast<int>(recent_.size()) > kRecentExamples) recent_.pop_back();
}

bool ExampleCatalog::ApplyReview(absl::string_view example_id,
                                 v1::ReviewStatus status,
                                 absl::string_view note, absl::Time reviewed_at,
                                 CatalogEntry* updated) {
  MutexLock lock(&mu_);
  auto it = by_id_.find(IdFingerprint(example_id));
  if (it == by_id_.end()) return false;
  const int64_t index = it->second;
  CountIn(index, -1);
  CatalogEntry& entry = entries_[index];
  entry.status = status;
  entry.review_note = std::string(note);
  entry.reviewed_at = reviewed_at;
  CountIn(index, +1);
  if (updated != nullptr) *updated = entry;
  return true;
}

bool ExampleCatalog::Find(absl::string_view example_id,
                          CatalogEntry* entry) const {
  MutexLock lock(&mu_);
  auto it = by_id_.find(IdFingerprint(example_id));
  if (it == by_id_.end()) return false;
  *entry = entries_[it->second];
  return true;
}

bool ExampleCatalog::ClaimReply(absl::string_view session_id,
                                absl::string_view turn_id,
                                std::string* reason) {
  return ClaimCredit(session_id, turn_id, absl::StrCat("reply ", turn_id),
                     reason);
}

bool ExampleCatalog::ClaimCredit(absl::string_view session_id,
                                 absl::string_view key, absl::string_view what,
                                 std::string* reason) {
  MutexLock lock(&mu_);
  auto [it, claimed] =
      credited_.try_emplace(ReplyFingerprint(session_id, key), kCapturing);
  if (claimed) return true;
  *reason = it->second == kCapturing
                ? absl::StrCat(what, " is being captured by another request")
                : absl::StrCat(what, " was already credited (example ",
                               entries_[it->second].id, ")");
  return false;
}

v1::Label ExampleCatalog::CreditedLabel(absl::string_view session_id,
                                        absl::string_view turn_id) const {
  MutexLock lock(&mu_);
  auto it = credited_.find(ReplyFingerprint(session_id, turn_id));
  if (it == credited_.end() || it->second == kCapturing) {
    return v1::LABEL_UNSPECIFIED;
  }
  return entries_[it->second].label;
}

void ExampleCatalog::AbandonReply(absl::string_view session_id,
                                  absl::string_view turn_id) {
  MutexLock lock(&mu_);
  credited_.erase(ReplyFingerprint(session_id, turn_id));
}

std::string ExampleCatalog::CreditedExampleId(absl::string_view session_id,
                                              absl::string_view turn_id) const {
  MutexLock lock(&mu_);
  auto it = credited_.find(ReplyFingerprint(session_id, turn_id));
  if (it == credited_.end() || it->second == kCapturing) return "";
  return entries_[it->second].id;
}

std::string ExampleCatalog::ExampleOfFeedbackTurn(
    absl::string_view session_id, absl::string_view praise_turn_id) const {
  MutexLock lock(&mu_);
  auto it =
      by_feedback_turn_.find(ReplyFingerprint(session_id, praise_turn_id));
  if (it == by_feedback_turn_.end()) return "";
  return entries_[it->second].id;
}

bool ExampleCatalog::ClaimImport(absl::string_view example_id) {
  MutexLock lock(&mu_);
  while (importing_.contains(example_id)) import_done_.Wait(&mu_);
  if (by_id_.contains(IdFingerprint(example_id))) return false;
  importing_.emplace(example_id);
  return true;
}

void ExampleCatalog::FinishImport(absl::string_view example_id) {
  MutexLock lock(&mu_);
  importing_.erase(example_id);
  import_done_.SignalAll();
}

std::vector<const ExampleCatalog::Cell*> ExampleCatalog::CellsMatching(
    v1::ReviewStatus status, v1::Label label, v1::ExampleKind kind) const {
  std::vector<const Cell*> cells;
  for (const auto& [key, cell] : cells_) {
    if (StatusMatches(status, std::get<0>(key)) &&
        LabelMatches(label, std::get<1>(key)) &&
        MatchesKind(kind, std::get<2>(key))) {
      cells.push_back(&cell);
    }
  }
  return cells;
}

absl::StatusOr<ExampleCatalog::Page> ExampleCatalog::List(
    v1::ReviewStatus status, v1::Label label, absl::string_view page_token,
    int page_size) const {
  return List(status, label, v1::EXAMPLE_KIND_UNSPECIFIED, page_token,
              page_size);
}

absl::StatusOr<ExampleCatalog::Page> ExampleCatalog::List(
    v1::ReviewStatus status, v1::Label label, v1::ExampleKind kind,
    absl::string_view page_token, int page_size) const {
  // Tokens are decimal entry indexes, as they always were, so a token from
  // before a restart or an upgrade still resumes where it left off.
  size_t start = 0;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &start)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token '", page_token, "' is not a token ListExamples returned"));
  }
  Page page;
  MutexLock lock(&mu_);
  if (start > entries_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_token '", page_token, "' is past the end of the examples"));
  }
  // A merge of the matching cells (each sorted by index) from `start`: at
  // most a handful of cells, so each step is O(log n).
  const std::vector<const Cell*> cells = CellsMatching(status, label, kind);
  std::vector<std::pair<Cell::const_iterator, Cell::const_iterator>> heads;
  for (const Cell* cell : cells) {
    page.total_size += static_cast<int64_t>(cell->size());
    auto from = cell->lower_bound(static_cast<int64_t>(start));
    if (from != cell->end()) heads.emplace_back(from, cell->end());
  }
  while (!heads.empty()) {
    auto lowest = std::min_element(
        heads.begin(), heads.end(),
        [](const auto& a, const auto& b) { return *a.first < *b.first; });
    const int64_t index = *lowest->first;
    if (static_cast<int>(page.entries.size()) == page_size) {
      page.next_page_token = absl::StrCat(index);
      break;
    }
    page.entries.push_back(entries_[index]);
    if (++lowest->first == lowest->second) heads.erase(lowest);
  }
  return page;
}

ExampleCatalog::Stats ExampleCatalog::GetStats() const {
  Stats stats;
  MutexLock lock(&mu_);
  stats.total = static_cast<int64_t>(entries_.size() - removed_.size());
  stats.positive = positive_;
  stats.negative = negative_;
  stats.imported = imported_;
  stats.redacted = redacted_;
  stats.pairs = pairs_;
  stats.approved = approved_;
  stats.rejected = rejected_;
  stats.pending = stats.total - approved_ - rejected_;
  stats.first_at = first_at_;
  stats.last_at = last_at_;
  stats.per_day = per_day_;
  for (int64_t index : recent_) stats.recent.push_back(entries_[index]);
  return stats;
}

std::vector<CatalogEntry> ExampleCatalog::Select(
    const std::function<bool(const CatalogEntry&)>& keep) const {
  std::vector<CatalogEntry> selected;
  {
    MutexLock lock(&mu_);
    for (int64_t index = 0; index < static_cast<int64_t>(entries_.size());
         ++index) {
      if (removed_.contains(index)) continue;
      if (keep(entries_[index])) selected.push_back(entries_[index]);
    }
  }
  std::stable_sort(selected.begin(), selected.end(),
                   [](const CatalogEntry& a, const CatalogEntry& b) {
                     return a.captured_at < b.captured_at;
                   });
  return selected;
}

int64_t ExampleCatalog::size() const {
  MutexLock lock(&mu_);
  return static_cast<int64_t>(entries_.size() - removed_.size());
}

}  // namespace ftcapture
