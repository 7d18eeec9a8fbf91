#ifndef FTCAPTURE_SERVER_RAW_MESSAGES_H_
#define FTCAPTURE_SERVER_RAW_MESSAGES_H_

#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include "absl/strings/str_cat.h"

namespace ftcapture {

// The callback service takes its requests and gives its responses as raw
// bytes, because gRPC's generated callback handler answers a request that
// does not parse with UNIMPLEMENTED and an empty message (gRPC 1.51,
// CallbackUnaryHandler::RunHandler), which tells the caller nothing.

// What a request that does not parse as a Message gets (a field of the
// wrong type, a string that is not UTF-8, bytes cut short).
template <typename Message>
grpc::Status UnparseableRequest() {
  return grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT,
      absl::StrCat("the request is not a valid ", Message::descriptor()->name(),
                   " (it does not parse: a field of the wrong type, a string "
                   "that is not UTF-8, or bytes cut short); nothing was done"));
}

// Parses `bytes` into `*message`; UnparseableRequest when they are not one.
template <typename Message>
grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, Message* message) {
  // Deserialize consumes its buffer; the copy shares the bytes (slice refs).
  grpc::ByteBuffer consumed(bytes);
  if (!grpc::SerializationTraits<Message>::Deserialize(&consumed, message)
           .ok()) {
    return UnparseableRequest<Message>();
  }
  return grpc::Status::OK;
}

// Serializes `message` into `*bytes`, replacing what they held (fails only
// beyond 2 GB).
template <typename Message>
grpc::Status SerializeMessage(const Message& message, grpc::ByteBuffer* bytes) {
  bytes->Clear();  // the serializer wants an empty buffer
  bool own_buffer = false;
  return grpc::SerializationTraits<Message>::Serialize(message, bytes,
                                                       &own_buffer);
}

}  // namespace ftcapture

#endif  // FTCAPTURE_SERVER_RAW_MESSAGES_H_
