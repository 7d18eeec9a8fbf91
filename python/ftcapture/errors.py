"""One exception class per gRPC status, raised by blocking calls."""

import typing

import grpc


class FtcaptureError(Exception):
  """A call to ftcapture failed; ``code`` is the grpc.StatusCode."""
  code = grpc.StatusCode.UNKNOWN

  def __init__(self, message: str, code: typing.Optional[grpc.StatusCode] = None):
    super().__init__(message)
    if code is not None:
      self.code = code
    self.message = message

  def __str__(self):
    return f"{self.code.name}: {self.message}"


class InvalidArgument(FtcaptureError):
  code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(FtcaptureError):
  code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(FtcaptureError):
  code = grpc.StatusCode.ALREADY_EXISTS


class PermissionDenied(FtcaptureError):
  code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(FtcaptureError):
  code = grpc.StatusCode.UNAUTHENTICATED


class ResourceExhausted(FtcaptureError):
  code = grpc.StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(FtcaptureError):
  code = grpc.StatusCode.FAILED_PRECONDITION


class Unavailable(FtcaptureError):
  """The server could not be reached (or is shutting down); retry later."""
  code = grpc.StatusCode.UNAVAILABLE


class DeadlineExceeded(FtcaptureError):
  code = grpc.StatusCode.DEADLINE_EXCEEDED


class Internal(FtcaptureError):
  code = grpc.StatusCode.INTERNAL


_BY_CODE = {
    cls.code: cls
    for cls in (InvalidArgument, NotFound, AlreadyExists, PermissionDenied,
                Unauthenticated, ResourceExhausted, FailedPrecondition,
                Unavailable, DeadlineExceeded, Internal)
}
_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def error_for(code: grpc.StatusCode, message: str) -> FtcaptureError:
  """The exception for a status (FtcaptureError for codes without a class)."""
  return _BY_CODE.get(code, FtcaptureError)(message, code)


def error_for_number(number: int, message: str) -> FtcaptureError:
  """The same for a numeric code, as StreamTurns reports failed turns."""
  return error_for(_BY_NUMBER.get(number, grpc.StatusCode.UNKNOWN), message)


def from_rpc_error(error: grpc.RpcError) -> FtcaptureError:
  return error_for(error.code(), error.details() or "")
