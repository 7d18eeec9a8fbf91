// CheckTurnInput reads a turn's fields directly instead of through
// reflection; these tests hold it to the reflective CheckClientInput for
// every string and timestamp field Turn's descriptor lists, so a field
// added to the proto and forgotten in the fast path fails here.

#include "src/service/input_checks.h"

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "ftcapture/v1/capture.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "src/util/proto_time.h"

namespace ftcapture {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using ::testing::HasSubstr;

bool IsTimestamp(const Message& message) {
  return message.GetDescriptor() == google::protobuf::Timestamp::descriptor();
}

// A leaf the checks must look at: a text field, or a timestamp.
struct Leaf {
  Message* message;
  const FieldDescriptor* field;  // null: `message` is a Timestamp
};

// Calls `visit` for each leaf of `message`, in a fixed order, reaching
// into element 0 of each repeated message field and map. `populate` first
// gives each of those one element, so every leaf exists.
void ForEachLeaf(Message* message, bool populate,
                 const std::function<void(Leaf)>& visit) {
  if (IsTimestamp(*message)) {
    visit({message, nullptr});
    return;
  }
  const Reflection* reflection = message->GetReflection();
  const Descriptor* descriptor = message->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      Message* inner = nullptr;
      if (!field->is_repeated()) {
        inner = reflection->MutableMessage(message, field);
      } else if (populate) {
        inner = reflection->AddMessage(message, field);
      } else {
        inner = reflection->MutableRepeatedMessage(message, field, 0);
      }
      ForEachLeaf(inner, populate, visit);
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
               field->type() != FieldDescriptor::TYPE_BYTES) {
      if (populate && field->is_repeated()) {
        reflection->AddString(message, field, "");
      }
      visit({message, field});
    }
  }
}

// Sets a leaf to `text`, or a timestamp leaf to `seconds`.
void SetLeaf(Leaf leaf, const std::string& text, int64_t seconds) {
  if (leaf.field == nullptr) {
    static_cast<google::protobuf::Timestamp*>(leaf.message)
        ->set_seconds(seconds);
  } else if (leaf.field->is_repeated()) {
    leaf.message->GetReflection()->SetRepeatedString(leaf.message, leaf.field,
                                                     0, text);
  } else {
    leaf.message->GetReflection()->SetString(leaf.message, leaf.field, text);
  }
}

// Spoils leaf number `index` of `turn`; returns its description.
std::string SpoilLeaf(v1::Turn* turn, int index, const std::string& bad_text) {
  int seen = 0;
  std::string what;
  ForEachLeaf(turn, /*populate=*/false, [&](Leaf leaf) {
    if (seen++ != index) return;
    // Year 10000: past the last second a Timestamp may hold.
    SetLeaf(leaf, bad_text, 253402300800);
    what = leaf.field == nullptr
               ? "a timestamp in " + leaf.message->GetTypeName()
               : leaf.field->full_name();
  });
  return what;
}

v1::Turn PopulatedTurn() {
  v1::Turn turn;
  ForEachLeaf(&turn, /*populate=*/true,
              [](Leaf leaf) { SetLeaf(leaf, "fine text", 1700000000); });
  return turn;
}

int LeafCount() {
  v1::Turn turn = PopulatedTurn();
  int count = 0;
  ForEachLeaf(&turn, /*populate=*/false, [&count](Leaf) { ++count; });
  return count;
}

TEST(CheckTurnInputTest, AcceptsATurnWithEveryFieldSet) {
  const v1::Turn turn = PopulatedTurn();
  EXPECT_TRUE(CheckTurnInput(turn).ok()) << CheckTurnInput(turn);
  EXPECT_TRUE(CheckClientInput(turn, "turn").ok());
  // Today 13: session_id, turn_id, text, time, system_prompt, a memory's
  // text, category and created_at, a metadata key and value, a redactions
  // key, reply_to, a context message's text.
  EXPECT_GE(LeafCount(), 13);
}

TEST(CheckTurnInputTest, RefusesEveryFieldAsTheReflectiveCheckDoes) {
  const int leaves = LeafCount();
  for (const std::string& bad : {std::string("a\x01z"), std::string("a\x1b[2J"),
                                 std::string("a\xff"
                                             "z"),
                                 std::string(1, '\0')}) {
    for (int i = 0; i < leaves; ++i) {
      v1::Turn turn = PopulatedTurn();
      const std::string what = SpoilLeaf(&turn, i, bad);
      const absl::Status reflective = CheckClientInput(turn, "turn");
      const absl::Status direct = CheckTurnInput(turn);
      ASSERT_FALSE(reflective.ok()) << what;
      EXPECT_EQ(direct, reflective) << what;
    }
  }
}

// Calls `visit` for `message` and each message inside it but map entries
// (element 0 of repeated fields: PopulatedTurn gives each one).
void ForEachMessage(Message* message,
                    const std::function<void(Message*)>& visit) {
  visit(message);
  const Reflection* reflection = message->GetReflection();
  const Descriptor* descriptor = message->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
        field->is_map()) {
      continue;
    }
    ForEachMessage(field->is_repeated()
                       ? reflection->MutableRepeatedMessage(message, field, 0)
                       : reflection->MutableMessage(message, field),
                   visit);
  }
}

TEST(TurnHasUnknownFieldsTest, FindsThemInEveryMessageAsTheReflectiveCheck) {
  v1::Turn clean = PopulatedTurn();
  EXPECT_FALSE(HasUnknownFields(clean));
  EXPECT_FALSE(TurnHasUnknownFields(clean));
  int messages = 0;
  ForEachMessage(&clean, [&messages](Message*) { ++messages; });
  // Today 5: the turn, its time, a memory and its created_at, a context
  // message.
  EXPECT_GE(messages, 5);
  for (int index = 0; index < messages; ++index) {
    v1::Turn turn = PopulatedTurn();
    int seen = 0;
    std::string what;
    ForEachMessage(&turn, [&](Message* message) {
      if (seen++ != index) return;
      message->GetReflection()->MutableUnknownFields(message)->AddVarint(999,
                                                                         1);
      what = message->GetTypeName();
    });
    EXPECT_TRUE(HasUnknownFields(turn)) << what;
    EXPECT_TRUE(TurnHasUnknownFields(turn)) << what;
  }
}

v1::Turn TurnWith(v1::Role role, const std::string& text) {
  v1::Turn turn;
  turn.set_session_id("s");
  turn.set_turn_id("t");
  turn.set_role(role);
  turn.set_text(text);
  return turn;
}

// An empty reply was stored and exported as {"role":"assistant",
// "content":""}.
TEST(CheckTurnRoleAndTextTest, RefusesEmptyAndBlankTextOfEitherRole) {
  for (v1::Role role : {v1::ROLE_USER, v1::ROLE_ASSISTANT}) {
    for (const std::string& blank :
         {std::string(), std::string(" "), std::string(" \t\r\n\v\f"),
          // no-break, ideographic, thin (U+2009) and line separator spaces
          std::string("\xC2\xA0\xE3\x80\x80\xE2\x80\x89\xE2\x80\xA8")}) {
      const absl::Status status = CheckTurnRoleAndText(TurnWith(role, blank));
      EXPECT_TRUE(absl::IsInvalidArgument(status)) << role << " '" << blank;
      EXPECT_THAT(status.message(), HasSubstr("turn.text")) << role;
    }
    EXPECT_TRUE(CheckTurnRoleAndText(TurnWith(role, " ok ")).ok());
    EXPECT_TRUE(CheckTurnRoleAndText(TurnWith(role, "\xC2\xA0ok")).ok());
  }
  // Not a space: a broken sequence is left to CheckTurnInput to name.
  EXPECT_TRUE(CheckTurnRoleAndText(TurnWith(v1::ROLE_USER,
                                            "\xE2\x80"
                                            "A"))
                  .ok());
}

TEST(CheckTurnRoleAndTextTest, NamesAnUnknownRoleAsUnknownNotMissing) {
  absl::Status missing =
      CheckTurnRoleAndText(TurnWith(v1::ROLE_UNSPECIFIED, "hi"));
  EXPECT_TRUE(absl::IsInvalidArgument(missing));
  EXPECT_THAT(missing.message(), HasSubstr("turn.role is required"));
  absl::Status unknown =
      CheckTurnRoleAndText(TurnWith(static_cast<v1::Role>(7), "hi"));
  EXPECT_TRUE(absl::IsInvalidArgument(unknown));
  EXPECT_THAT(unknown.message(), HasSubstr("turn.role 7 is not a known role"));
}

TEST(CheckTurnRoleAndTextTest, PromptAndMemoriesAreForAssistantTurnsOnly) {
  v1::Turn prompt = TurnWith(v1::ROLE_USER, "hi");
  prompt.set_system_prompt("You are Timmy.");
  absl::Status status = CheckTurnRoleAndText(prompt);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("turn.system_prompt"));
  EXPECT_THAT(status.message(), HasSubstr("assistant turns"));

  v1::Turn memories = TurnWith(v1::ROLE_USER, "hi");
  memories.add_memories()->set_text("Dan has a cat.");
  status = CheckTurnRoleAndText(memories);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("turn.memories"));

  prompt.set_role(v1::ROLE_ASSISTANT);
  *prompt.mutable_memories() = memories.memories();
  EXPECT_TRUE(CheckTurnRoleAndText(prompt).ok());
}

TEST(CheckTurnTimeTest, RefusesATimeFurtherAheadThanTheLimit) {
  const absl::Time now = absl::FromUnixSeconds(1790000000);
  const absl::Duration limit = absl::Minutes(10);
  v1::Turn turn = TurnWith(v1::ROLE_USER, "hi");
  EXPECT_TRUE(CheckTurnTime(turn, now, limit).ok());  // unset: server time
  for (absl::Duration fine : {-absl::Hours(24 * 365), absl::ZeroDuration(),
                              absl::Minutes(9), limit}) {
    *turn.mutable_time() = ToProtoTime(now + fine);
    EXPECT_TRUE(CheckTurnTime(turn, now, limit).ok()) << fine;
  }
  *turn.mutable_time() = ToProtoTime(now + limit + absl::Milliseconds(1));
  absl::Status status = CheckTurnTime(turn, now, limit);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("turn.time"));
  EXPECT_THAT(status.message(), HasSubstr("10m0.001s ahead"));
  EXPECT_THAT(status.message(), HasSubstr("at most 10m"));
  EXPECT_THAT(status.message(), HasSubstr("--max_clock_skew"));

  turn.mutable_time()->set_seconds(253402300799);  // 9999-12-31T23:59:59Z
  EXPECT_FALSE(CheckTurnTime(turn, now, limit).ok());
  EXPECT_TRUE(CheckTurnTime(turn, now, absl::InfiniteDuration()).ok());
}

TEST(CheckEnumFieldsTest, NamesTheFieldTheValueAndTheKnownNames) {
  v1::ListExamplesRequest list;
  list.set_status(v1::REVIEW_STATUS_APPROVED);
  list.set_label(v1::LABEL_NEGATIVE);
  list.set_kind(v1::EXAMPLE_KIND_PAIR);
  EXPECT_TRUE(CheckEnumFields(list).ok());
  EXPECT_TRUE(CheckEnumFields(v1::ListExamplesRequest()).ok());

  list.set_kind(static_cast<v1::ExampleKind>(5));
  absl::Status status = CheckEnumFields(list);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(),
            "kind 5 is not a known ExampleKind (EXAMPLE_KIND_UNSPECIFIED, "
            "EXAMPLE_KIND_SINGLE, EXAMPLE_KIND_PAIR)");

  v1::ExportExamplesRequest export_request;
  export_request.set_min_confidence(static_cast<v1::Confidence>(-1));
  status = CheckEnumFields(export_request);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("min_confidence -1"));
}

}  // namespace
}  // namespace ftcapture
