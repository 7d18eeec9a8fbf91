#include "src/service/example_catalog.h"

#include <deque>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ftcapture {
namespace {

// Keeps the strings a summary views alive.
struct Stored {
  std::string id;
  std::string session_id;
  std::string reply_id;
  std::string praise_id;
};

class ExampleCatalogTest : public ::testing::Test {
 protected:
  // Adds example number `n`, captured `n` minutes after a fixed time.
  void AddExample(int n, v1::Label label,
                  v1::Source source = v1::SOURCE_IMPLICIT,
                  absl::Time at = absl::InfinitePast()) {
    stored_.push_back({absl::StrCat("ex-", n), absl::StrCat("s", n),
                       absl::StrCat("a", n), absl::StrCat("u", n)});
    const Stored& s = stored_.back();
    ExampleSummaryView view;
    view.id = s.id;
    view.session_id = s.session_id;
    view.assistant_turn_id = s.reply_id;
    view.has_praise_turn = true;
    view.praise_turn_id = s.praise_id;
    view.captured_at =
        at == absl::InfinitePast() ? base_ + absl::Minutes(n) : at;
    view.label = label;
    view.source = source;
    catalog_.Add(view, static_cast<uint64_t>(n) * 100);
  }

  std::vector<std::string> ListAll(v1::ReviewStatus status, v1::Label label,
                                   int page_size) {
    std::vector<std::string> ids;
    std::string token;
    for (int pages = 0; pages < 1000; ++pages) {
      absl::StatusOr<ExampleCatalog::Page> page =
          catalog_.List(status, label, token, page_size);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(static_cast<int>(page->entries.size()), page_size);
      for (const CatalogEntry& entry : page->entries) ids.push_back(entry.id);
      if (page->next_page_token.empty()) break;
      token = page->next_page_token;
    }
    return ids;
  }

  std::deque<Stored> stored_;
  const absl::Time base_ = absl::FromUnixSeconds(1700000000);
  ExampleCatalog catalog_;
};

TEST_F(ExampleCatalogTest, PagesFollowFiltersInCatalogOrder) {
  for (int n = 0; n < 10; ++n) {
    AddExample(n, n % 3 == 0 ? v1::LABEL_NEGATIVE : v1::LABEL_POSITIVE);
  }
  std::vector<std::string> all =
      ListAll(v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_UNSPECIFIED, 3);
  ASSERT_EQ(all.size(), 10);
  for (int n = 0; n < 10; ++n) EXPECT_EQ(all[n], absl::StrCat("ex-", n));

  EXPECT_EQ(ListAll(v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_NEGATIVE, 2),
            (std::vector<std::string>{"ex-0", "ex-3", "ex-6", "ex-9"}));
  absl::StatusOr<ExampleCatalog::Page> page =
      catalog_.List(v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_POSITIVE, "", 50);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total_size, 6);
  EXPECT_TRUE(page->next_page_token.empty());
}

TEST_F(ExampleCatalogTest, CursorKeepsItsPlaceAcrossInserts) {
  for (int n = 0; n < 4; ++n) AddExample(n, v1::LABEL_POSITIVE);
  absl::StatusOr<ExampleCatalog::Page> first = catalog_.List(
      v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_UNSPECIFIED, "", 2);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token.empty());
  // Examples added between pages come after the cursor: nothing is skipped
  // or listed twice.
  for (int n = 4; n < 7; ++n) AddExample(n, v1::LABEL_POSITIVE);
  std::vector<std::string> ids;
  for (const CatalogEntry& e : first->entries) ids.push_back(e.id);
  std::string token = first->next_page_token;
  while (!token.empty()) {
    absl::StatusOr<ExampleCatalog::Page> page = catalog_.List(
        v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_UNSPECIFIED, token, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->total_size, 7);
    for (const CatalogEntry& e : page->entries) ids.push_back(e.id);
    token = page->next_page_token;
  }
  ASSERT_EQ(ids.size(), 7);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 7);
  EXPECT_EQ(ids.back(), "ex-6");
}

TEST_F(ExampleCatalogTest, TokensAreEntryIndexesAndBadOnesAreRejected) {
  for (int n = 0; n < 5; ++n) AddExample(n, v1::LABEL_POSITIVE);
  // A token as earlier versions handed out: the index of the next entry.
  absl::StatusOr<ExampleCatalog::Page> page = catalog_.List(
      v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_UNSPECIFIED, "3", 10);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 2);
  EXPECT_EQ(page->entries[0].id, "ex-3");
  for (const char* bad : {"not-a-token", "-1", "6", "99999999999"}) {
    EXPECT_EQ(
        catalog_
            .List(v1::REVIEW_STATUS_UNSPECIFIED, v1::LABEL_UNSPECIFIED, bad, 10)
            .status()
            .code(),
        absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST_F(ExampleCatalogTest, StatsFollowReviews) {
  AddExample(0, v1::LABEL_POSITIVE);
  AddExample(1, v1::LABEL_NEGATIVE);
  AddExample(2, v1::LABEL_POSITIVE, v1::SOURCE_IMPORTED);
  ExampleCatalog::Stats stats = catalog_.GetStats();
  EXPECT_EQ(stats.total, 3);
  EXPECT_EQ(stats.positive, 2);
  EXPECT_EQ(stats.negative, 1);
  EXPECT_EQ(stats.imported, 1);
  EXPECT_EQ(stats.pending, 3);

  CatalogEntry updated;
  ASSERT_TRUE(catalog_.ApplyReview("ex-1", v1::REVIEW_STATUS_APPROVED, "ok",
                                   base_ + absl::Hours(1), &updated));
  EXPECT_EQ(updated.review_note, "ok");
  ASSERT_TRUE(catalog_.ApplyReview("ex-2", v1::REVIEW_STATUS_REJECTED, "",
                                   base_ + absl::Hours(1), nullptr));
  EXPECT_FALSE(catalog_.ApplyReview("nope", v1::REVIEW_STATUS_REJECTED, "",
                                    base_, nullptr));
  stats = catalog_.GetStats();
  EXPECT_EQ(stats.approved, 1);
  EXPECT_EQ(stats.rejected, 1);
  EXPECT_EQ(stats.pending, 1);
  // Reviewed back to pending: counted there again, and the status filter
  // follows.
  ASSERT_TRUE(catalog_.ApplyReview("ex-1", v1::REVIEW_STATUS_PENDING, "",
                                   base_ + absl::Hours(2), nullptr));
  stats = catalog_.GetStats();
  EXPECT_EQ(stats.approved, 0);
  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(ListAll(v1::REVIEW_STATUS_PENDING, v1::LABEL_UNSPECIFIED, 1),
            (std::vector<std::string>{"ex-0", "ex-1"}));
  EXPECT_EQ(ListAll(v1::REVIEW_STATUS_REJECTED, v1::LABEL_POSITIVE, 5),
            (std::vector<std::string>{"ex-2"}));
}

TEST_F(ExampleCatalogTest, StatsKeepTimesDaysAndNewestExamples) {
  // Out of time order, over two days.
  AddExample(0, v1::LABEL_POSITIVE, v1::SOURCE_IMPLICIT, base_);
  AddExample(1, v1::LABEL_POSITIVE, v1::SOURCE_IMPLICIT,
             base_ + absl::Hours(30));
  AddExample(2, v1::LABEL_POSITIVE, v1::SOURCE_IMPLICIT,
             base_ - absl::Minutes(1));
  for (int n = 3; n < 9; ++n) AddExample(n, v1::LABEL_POSITIVE);
  ExampleCatalog::Stats stats = catalog_.GetStats();
  EXPECT_EQ(stats.first_at, base_ - absl::Minutes(1));
  EXPECT_EQ(stats.last_at, base_ + absl::Hours(30));
  int64_t days_total = 0;
  for (const auto& [day, count] : stats.per_day) days_total += count;
  EXPECT_EQ(days_total, 9);
  EXPECT_EQ(stats.per_day.size(), 2);
  ASSERT_EQ(stats.recent.size(), ExampleCatalog::kRecentExamples);
  EXPECT_EQ(stats.recent[0].id, "ex-1");
  EXPECT_EQ(stats.recent[1].id, "ex-8");
  EXPECT_EQ(stats.recent[4].id, "ex-5");
}

TEST_F(ExampleCatalogTest, RepliesAreCreditedOnce) {
  std::string reason;
  ASSERT_TRUE(catalog_.ClaimReply("s0", "a0", &reason));
  EXPECT_FALSE(catalog_.ClaimReply("s0", "a0", &reason));
  EXPECT_NE(reason.find("being captured"), std::string::npos) << reason;
  EXPECT_EQ(catalog_.CreditedExampleId("s0", "a0"), "");
  AddExample(0, v1::LABEL_POSITIVE);
  EXPECT_EQ(catalog_.CreditedExampleId("s0", "a0"), "ex-0");
  EXPECT_EQ(catalog_.ExampleOfFeedbackTurn("s0", "u0"), "ex-0");
  EXPECT_FALSE(catalog_.ClaimReply("s0", "a0", &reason));
  EXPECT_NE(reason.find("already credited (example ex-0)"), std::string::npos)
      << reason;
  // An abandoned capture can be claimed again.
  ASSERT_TRUE(catalog_.ClaimReply("s1", "a1", &reason));
  catalog_.AbandonReply("s1", "a1");
  EXPECT_TRUE(catalog_.ClaimReply("s1", "a1", &reason));
}

TEST_F(ExampleCatalogTest, ImportsClaimIdsWithoutHoldingTheCatalog) {
  AddExample(0, v1::LABEL_POSITIVE, v1::SOURCE_IMPORTED);
  EXPECT_FALSE(catalog_.ClaimImport("ex-0"));
  ASSERT_TRUE(catalog_.ClaimImport("ex-1"));
  // While an import of ex-1 is under way (its append), the catalog still
  // answers, and a second import of ex-1 waits for the first to finish.
  EXPECT_EQ(catalog_.GetStats().total, 1);
  bool second_claimed = true;
  std::thread second([&] { second_claimed = catalog_.ClaimImport("ex-1"); });
  AddExample(1, v1::LABEL_POSITIVE, v1::SOURCE_IMPORTED);
  catalog_.FinishImport("ex-1");
  second.join();
  EXPECT_FALSE(second_claimed);
  // A failed import leaves the id free for the next attempt.
  ASSERT_TRUE(catalog_.ClaimImport("ex-2"));
  catalog_.FinishImport("ex-2");
  EXPECT_TRUE(catalog_.ClaimImport("ex-2"));
  catalog_.FinishImport("ex-2");
  EXPECT_EQ(catalog_.GetStats().imported, 2);
}

}  // namespace
}  // namespace ftcapture
