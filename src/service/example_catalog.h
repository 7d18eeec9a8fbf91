#ifndef FTCAPTURE_SRC_SERVICE_EXAMPLE_CATALOG_H_
#define FTCAPTURE_SRC_SERVICE_EXAMPLE_CATALOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "src/storage/example_summary.h"
#include "src/util/mutex.h"
#include "src/util/stable_hash.h"

namespace ftcapture {

// What the catalog remembers of each stored example; the example itself is
// read back from the dataset when asked for.
struct CatalogEntry {
  std::string id;
  uint64_t offset = 0;
  absl::Time captured_at;
  v1::Label label = v1::LABEL_UNSPECIFIED;
  v1::Source source = v1::SOURCE_UNSPECIFIED;
  v1::ReviewStatus status = v1::REVIEW_STATUS_PENDING;
  bool is_pair = false;   // a preference pair (else a single example)
  bool redacted = false;  // a redaction rule fired on it
  // SessionKey of its session, so an erasure finds a session's examples
  // without reading them all.
  uint64_t session_key = 0;
  // The latest review, from reviews.tfrecord.
  std::string review_note;
  absl::Time reviewed_at = absl::InfinitePast();
};

// The in-memory catalogue of the stored examples: what each one is, which
// replies are credited, statistics and pages. It does no I/O and never
// blocks on any; callers append to the store between a claim and Add.
//
// Invariants (all under `mu_`):
// - every added example has one entry in `entries_` (its position, "index",
//   never changes: entries are only appended) and one in `by_id_` (or, while
//   a Loader runs, its keys wait in `loading_`, in order); an
//   erased one (Remove) keeps its entry, marked in `removed_`, and is in no
//   map, cell, counter or `recent_`;
// - `cells_[{status, label, is_pair}]` holds the index of every entry with
//   that status, label and kind, and nothing else, so a filter's pages and
//   totals come from the few cells it matches;
// - a reply key is in `credited_` from the moment a capture of it is
//   claimed (value kCapturing) until that capture is abandoned, or forever
//   once added (value: its index), so a reply is credited at most once; a
//   preference pair is keyed by PairCreditKey(preferred, rejected) instead,
//   so it is stored at most once and leaves its replies' keys alone;
// - an id in `importing_` is not in `by_id_` and is being appended by one
//   import; others wait for it to finish;
// - the counters, first/last times, per-day counts and `recent_` describe
//   exactly the entries in `entries_`.
class ExampleCatalog {
 public:
  struct Page {
    std::vector<CatalogEntry> entries;
    std::string next_page_token;  // empty: no more
    int64_t total_size = 0;
  };
  // What GetStats reports of the examples.
  struct Stats {
    int64_t total = 0;
    int64_t positive = 0;
    int64_t negative = 0;
    int64_t imported = 0;
    int64_t redacted = 0;
    int64_t pairs = 0;
    int64_t approved = 0;
    int64_t rejected = 0;
    int64_t pending = 0;
    absl::Time first_at = absl::InfiniteFuture();
    absl::Time last_at = absl::InfinitePast();
    std::map<std::string, int64_t> per_day;
    // The latest examples by capture time, newest first.
    std::vector<CatalogEntry> recent;
  };

  static constexpr int kRecentExamples = 5;

  ExampleCatalog() = default;
  ExampleCatalog(const ExampleCatalog&) = delete;
  ExampleCatalog& operator=(const ExampleCatalog&) = delete;

  // Sizes the maps for about `examples` entries.
  void Reserve(size_t examples);

  // Remembers a stored example (recovery or a fresh append). A summary with
  // no review status counts as pending.
  void Add(const ExampleSummaryView& example, uint64_t offset);

  // Adds a restart's examples (a million random keys in three maps) faster
  // than Add one by one: each example's map slots are prefetched and its
  // keys inserted kLoadAhead examples later, so the cache misses overlap
  // instead of coming one after the other. Until Finish (or destruction)
  // the maps may lack the last kLoadAhead examples, so only the loading
  // thread may use the catalog meanwhile.
  class Loader {
   public:
    explicit Loader(ExampleCatalog* catalog) : catalog_(catalog) {}
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;
    ~Loader() { Finish(); }

    void Add(const ExampleSummaryView& example, uint64_t offset);
    // Inserts the keys still pending; the catalog is complete after it.
    void Finish();

   private:
    ExampleCatalog* const catalog_;
  };

  // What sessions are keyed by in CatalogEntry::session_key: a filter only
  // (an erasure reads each candidate back and compares its session id), so
  // a fast hash, not SHA-256; it differs between runs of the process.
  static uint64_t SessionKey(absl::string_view session_id);

  // Forgets the examples at `offsets` (erased): they leave every page,
  // count and lookup, and their replies are no longer credited (a resent
  // conversation could be captured again). Returns how many were removed.
  // Costs a pass over all entries: erasures are rare.
  int64_t Remove(const absl::flat_hash_set<uint64_t>& offsets);

  // After a compaction moved the records: each live entry at a `moved`
  // first offset gets the second.
  void MoveOffsets(const std::vector<std::pair<uint64_t, uint64_t>>& moved);

  // Applies a review to the example it names; false when there is none.
  // Fills `*updated` (may be null) with the entry as reviewed.
  bool ApplyReview(absl::string_view example_id, v1::ReviewStatus status,
                   absl::string_view note, absl::Time reviewed_at,
                   CatalogEntry* updated);

  // The entry of `example_id`; false when there is none.
  bool Find(absl::string_view example_id, CatalogEntry* entry) const;

  // Claims the reply for a capture: true when it was neither credited nor
  // being captured; otherwise false with `*reason` saying which. Follow with
  // Add (success) or AbandonReply (failure).
  bool ClaimReply(absl::string_view session_id, absl::string_view turn_id,
                  std::string* reason);
  // The same for any credit key (a reply's turn id or a PairCreditKey);
  // `what` names it in `*reason`.
  bool ClaimCredit(absl::string_view session_id, absl::string_view key,
                   absl::string_view what, std::string* reason);
  // The label of the example that credited the reply; UNSPECIFIED when none
  // (yet).
  v1::Label CreditedLabel(absl::string_view session_id,
                          absl::string_view turn_id) const;
  void AbandonReply(absl::string_view session_id, absl::string_view turn_id);
  // The id of the example that credited the reply; empty when none (yet).
  std::string CreditedExampleId(absl::string_view session_id,
                                absl::string_view turn_id) const;
  // The id of the example captured by the praise turn `praise_turn_id`;
  // empty when none.
  std::string ExampleOfFeedbackTurn(absl::string_view session_id,
                                    absl::string_view praise_turn_id) const;

  // Claims `example_id` for an import: false when it is present already.
  // Waits while another import of the same id is under way. Follow with
  // Add then FinishImport (success), or FinishImport alone (failure).
  bool ClaimImport(absl::string_view example_id);
  void FinishImport(absl::string_view example_id);

  // One page of the entries matching `status` and `label` (UNSPECIFIED:
  // any), in catalog order, from `page_token` (empty: the start). Costs
  // O(page_size) whatever the catalog size. A token is the index of the
  // next entry, so a token stays valid while examples are added.
  absl::StatusOr<Page> List(v1::ReviewStatus status, v1::Label label,
                            absl::string_view page_token, int page_size) const;
  // The same, of one kind (UNSPECIFIED: both).
  absl::StatusOr<Page> List(v1::ReviewStatus status, v1::Label label,
                            v1::ExampleKind kind, absl::string_view page_token,
                            int page_size) const;

  Stats GetStats() const;

  // The entries `keep` accepts, oldest capture first.
  std::vector<CatalogEntry> Select(
      const std::function<bool(const CatalogEntry&)>& keep) const;

  int64_t size() const;

 private:
  // What the maps key examples and replies by: the 128-bit hash of their
  // length-prefixed fields (src/storage/example_id.h) instead of the
  // strings, so a million examples cost no key allocations, and no two
  // replies share a key however a client picks their ids.
  using Fingerprint = Hash128;
  static Fingerprint IdFingerprint(absl::string_view id);
  static Fingerprint ReplyFingerprint(absl::string_view session_id,
                                      absl::string_view turn_id);

  // The map keys of one example (id: by_id_, credit: credited_, feedback:
  // by_feedback_turn_); what a Loader holds back.
  struct Keys {
    ExampleKeys keys;
    int64_t index = 0;  // of its entry
  };
  // How many examples a Loader's inserts trail its prefetches by: enough
  // to cover a memory access, few enough that the prefetched lines stay in
  // the cache.
  static constexpr size_t kLoadAhead = 8;

  static CatalogEntry EntryOf(const ExampleSummaryView& example,
                              uint64_t offset);
  // Appends `entry` and counts it everywhere but in the maps; its index.
  int64_t AppendEntry(CatalogEntry entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PrefetchKeys(const Keys& keys) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InsertKeys(const Keys& keys) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  using CellKey = std::tuple<int, int, bool>;  // {status, label, is_pair}
  using Cell = absl::btree_set<int64_t>;

  void CountIn(int64_t index, int delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountDay(absl::Time captured_at) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes an erased entry out of everything but `entries_`.
  void Forget(int64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // first_at_, last_at_ and recent_ again from the live entries.
  void RecountTimes() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void NoteRecent(int64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The cells a filter matches.
  std::vector<const Cell*> CellsMatching(v1::ReviewStatus status,
                                         v1::Label label,
                                         v1::ExampleKind kind) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  CondVar import_done_;
  std::vector<CatalogEntry> entries_ ABSL_GUARDED_BY(mu_);
  // Indexes of the erased entries.
  absl::flat_hash_set<int64_t> removed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Fingerprint, int64_t> by_id_ ABSL_GUARDED_BY(mu_);
  // Reply key -> index of its example, or kCapturing.
  absl::flat_hash_map<Fingerprint, int64_t> credited_ ABSL_GUARDED_BY(mu_);
  // Reply key of a praise turn -> the example it captured, for retries.
  absl::flat_hash_map<Fingerprint, int64_t> by_feedback_turn_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> importing_ ABSL_GUARDED_BY(mu_);
  // A Loader's examples whose keys are not in the maps yet, oldest first.
  std::deque<Keys> loading_ ABSL_GUARDED_BY(mu_);
  std::map<CellKey, Cell> cells_ ABSL_GUARDED_BY(mu_);

  int64_t positive_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t negative_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t imported_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t redacted_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t pairs_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t approved_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t rejected_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time first_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Indexes of the newest entries by capture time, newest first.
  std::vector<int64_t> recent_ ABSL_GUARDED_BY(mu_);

  std::map<std::string, int64_t> per_day_ ABSL_GUARDED_BY(mu_);
  // The day counted last, [day_start_, day_end_), and its entry of per_day_
  // (std::map entries stay put): examples come mostly in time order, so a
  // day is formatted once, not per example.
  absl::Time day_start_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time day_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t* day_count_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SRC_SERVICE_EXAMPLE_CATALOG_H_
