#ifndef FTCAPTURE_SERVER_REUSED_MESSAGES_H_
#define FTCAPTURE_SERVER_REUSED_MESSAGES_H_

#include <google/protobuf/arena.h>

#include <cstddef>
#include <vector>

namespace ftcapture {

// A request message on a protobuf arena that is reused from call to call
// (RecordTurn's and each stream turn's). Parsing a turn into plain messages
// is ~35 allocations (each memory, its timestamp, each string object); on
// the arena those come out of a block the holder keeps, and only string
// contents longer than the small-string buffer are still allocated. Each
// thread keeps a few spare holders of its own, so no lock is shared: a
// holder is taken and released on the same thread.
template <typename Message>
class ReusedMessage final {
 public:
  // A holder with an empty message; Release() it on this thread when done.
  static ReusedMessage* Take() {
    std::vector<ReusedMessage*>& spare = Spares().holders;
    if (spare.empty()) return new ReusedMessage();
    ReusedMessage* holder = spare.back();
    spare.pop_back();
    return holder;
  }

  ReusedMessage(const ReusedMessage&) = delete;
  ReusedMessage& operator=(const ReusedMessage&) = delete;

  Message* message() { return message_; }

  // Frees what the message held beyond the kept block and keeps the holder
  // for the next call (or deletes it when this thread has enough).
  void Release() {
    arena_.Reset();
    std::vector<ReusedMessage*>& spare = Spares().holders;
    if (spare.size() >= kSparesPerThread) {
      delete this;
      return;
    }
    CreateMessage();
    spare.push_back(this);
  }

 private:
  ReusedMessage() : arena_(ArenaOptionsFor(initial_block_)) { CreateMessage(); }

  static google::protobuf::ArenaOptions ArenaOptionsFor(char* block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = kInitialBlockBytes;
    return options;
  }
  void CreateMessage() {
    message_ = google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

  static constexpr size_t kSparesPerThread = 8;
  // Holds a typical turn's message objects (a few KB) without another
  // block.
  static constexpr size_t kInitialBlockBytes = 4096;

  struct ThreadSpares {
    ~ThreadSpares() {
      for (ReusedMessage* holder : holders) delete holder;
    }
    std::vector<ReusedMessage*> holders;
  };
  static ThreadSpares& Spares() {
    thread_local ThreadSpares spares;
    return spares;
  }

  alignas(16) char initial_block_[kInitialBlockBytes];
  google::protobuf::Arena arena_;  // after initial_block_, which it uses
  Message* message_ = nullptr;     // on arena_
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_REUSED_MESSAGES_H_
