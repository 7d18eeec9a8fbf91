#ifndef FTCAPTURE_SERVER_REUSED_MESSAGES_H_
#define FTCAPTURE_SERVER_REUSED_MESSAGES_H_

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <cstddef>
#include <vector>

#include "src/util/mutex.h"

namespace ftcapture {

// The request and response messages of a callback unary method (and of a
// stream's turns), on a protobuf arena that is reused from call to call.
// Parsing a turn into plain messages is ~35 allocations (each memory, its
// timestamp, each string object); on the arena those come out of a block
// the holder keeps, and only string contents longer than the small-string
// buffer are still allocated. Each thread keeps a few spare holders of its
// own, so no lock is shared: a holder goes back to the thread that
// releases it (gRPC's few threads both take and release them).
template <typename Request, typename Response>
class ReusedMessages final : public grpc::MessageAllocator<Request, Response> {
 public:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() : arena_(ArenaOptionsFor(initial_block_)) { CreateMessages(); }
    // Frees what the messages held beyond the kept block and keeps the
    // holder for the next call (or deletes it when this thread has enough).
    void Release() override {
      // The call ran on other gRPC threads (see HandoffReleased).
      HandoffAcquired(this->request());
      HandoffAcquired(this->response());
      arena_.Reset();
      std::vector<Holder*>& spare = Spares().holders;
      if (spare.size() >= kSparesPerThread) {
        delete this;
        return;
      }
      CreateMessages();
      spare.push_back(this);
    }

   private:
    static google::protobuf::ArenaOptions ArenaOptionsFor(char* block) {
      google::protobuf::ArenaOptions options;
      options.initial_block = block;
      options.initial_block_size = kInitialBlockBytes;
      return options;
    }
    void CreateMessages() {
      this->set_request(
          google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(
          google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }

    // Holds a typical turn's message objects (a few KB) without another
    // block.
    static constexpr size_t kInitialBlockBytes = 4096;
    alignas(16) char initial_block_[kInitialBlockBytes];
    google::protobuf::Arena arena_;  // after initial_block_, which it uses
  };

  // A holder with empty messages; Release() it when done.
  static Holder* Take() {
    std::vector<Holder*>& spare = Spares().holders;
    if (spare.empty()) return new Holder();
    Holder* holder = spare.back();
    spare.pop_back();
    return holder;
  }

  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    return Take();
  }

 private:
  static constexpr size_t kSparesPerThread = 8;

  struct ThreadSpares {
    ~ThreadSpares() {
      for (Holder* holder : holders) delete holder;
    }
    std::vector<Holder*> holders;
  };
  static ThreadSpares& Spares() {
    thread_local ThreadSpares spares;
    return spares;
  }
};

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_REUSED_MESSAGES_H_
