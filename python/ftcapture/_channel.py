"""Where and how to connect: address, token and TLS, shared by both clients."""

import dataclasses
import os
import typing

import grpc

DEFAULT_SERVER = "127.0.0.1:50051"

# gRPC reconnects on its own with exponential backoff while the server is
# away; its defaults (1 s growing to 120 s) find a restarted server only
# seconds to minutes later. With attempts at most 1 s apart (and each given
# 1 s to connect: the "min" is also the connect timeout), the client is
# sending again about a second after the server is back (docs/benchmarks.md).
RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 1000),
    ("grpc.max_reconnect_backoff_ms", 1000),
)


def _read_pem(value: typing.Union[str, bytes, os.PathLike, None]
             ) -> typing.Optional[bytes]:
  """PEM bytes as given, or the contents of the file a path names."""
  if value is None or isinstance(value, bytes):
    return value
  with open(value, "rb") as pem:
    return pem.read()


@dataclasses.dataclass
class Connection:
  """The resolved target, credentials and per-call metadata."""
  target: str
  token: typing.Optional[str]
  credentials: typing.Optional[grpc.ChannelCredentials]
  options: typing.Tuple[typing.Tuple[str, typing.Any], ...]

  @classmethod
  def resolve(cls, server=None, token=None, tls_ca=None, tls_cert=None,
              tls_key=None, tls_server_name=None) -> "Connection":
    """Arguments win over FTCAPTURE_SERVER / FTCAPTURE_TOKEN / FTCAPTURE_TLS_CA."""
    target = server or os.environ.get("FTCAPTURE_SERVER") or DEFAULT_SERVER
    if token is None:
      token = os.environ.get("FTCAPTURE_TOKEN") or None
    if tls_ca is None:
      tls_ca = os.environ.get("FTCAPTURE_TLS_CA") or None
    if token is not None and ("\n" in token or "\r" in token):
      raise ValueError("token must be a single line")
    credentials = None
    options = RECONNECT_OPTIONS
    if tls_ca is not None or tls_cert is not None:
      credentials = grpc.ssl_channel_credentials(
          root_certificates=_read_pem(tls_ca),
          private_key=_read_pem(tls_key),
          certificate_chain=_read_pem(tls_cert))
      if tls_server_name:
        options += (("grpc.ssl_target_name_override", tls_server_name),)
    return cls(target, token.strip() if token else None, credentials, options)

  def metadata(self, session_id: typing.Optional[str] = None
              ) -> typing.Tuple[typing.Tuple[str, str], ...]:
    """Metadata for one call: the token and, for nginx's affinity hash, the
    session the call is about."""
    metadata = ()
    if self.token:
      metadata += (("authorization", "Bearer " + self.token),)
    if session_id:
      metadata += (("x-session-id", session_id),)
    return metadata

  def channel(self) -> grpc.Channel:
    if self.credentials is not None:
      return grpc.secure_channel(self.target, self.credentials, self.options)
    return grpc.insecure_channel(self.target, self.options)

  def aio_channel(self):
    from grpc import aio  # pylint: disable=import-outside-toplevel
    if self.credentials is not None:
      return aio.secure_channel(self.target, self.credentials, self.options)
    return aio.insecure_channel(self.target, self.options)
