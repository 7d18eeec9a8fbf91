#ifndef FTCAPTURE_SERVER_REUSED_MESSAGES_H_
#define FTCAPTURE_SERVER_REUSED_MESSAGES_H_

#include <grpcpp/support/message_allocator.h>

#include <cstddef>
#include <vector>

namespace ftcapture {

// The request and response messages of a callback unary method, reused from
// call to call. A cleared protobuf message keeps its strings' buffers and
// its repeated messages, so parsing the next request into it allocates
// almost nothing (a turn parsed into a new message is ~20 allocations).
// Each thread keeps a few spare pairs of its own, so no lock is shared:
// a pair goes back to the thread that releases it (gRPC's few threads both
// take and release them). A pair that held a large request is freed
// instead of kept, so the spares stay small.
template <typename Request, typename Response>
class ReusedMessages final : public grpc::MessageAllocator<Request, Response> {
 public:
  grpc::MessageHolder<Request, Response>* AllocateMessages() override {
    std::vector<Holder*>& spare = Spares().holders;
    if (spare.empty()) return new Holder();
    Holder* holder = spare.back();
    spare.pop_back();
    return holder;
  }

 private:
  static constexpr size_t kSparesPerThread = 32;
  static constexpr size_t kMaxKeptBytes = 64 << 10;

  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() {
      this->set_request(&request_);
      this->set_response(&response_);
    }
    void Release() override {
      std::vector<Holder*>& spare = Spares().holders;
      if (spare.size() >= kSparesPerThread ||
          request_.ByteSizeLong() > kMaxKeptBytes) {
        delete this;
        return;
      }
      request_.Clear();
      response_.Clear();
      spare.push_back(this);
    }

   private:
    Request request_;
    Response response_;
  };

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
