"""ftcapture: send a chatbot's turns to ftcapture without slowing the chat.

    import ftcapture
    capture = ftcapture.Client("127.0.0.1:50051")
    capture.user("s1", "u1", "How deep should I plant tulip bulbs?")
    capture.assistant("s1", "a1", "About 15-20 cm.", system_prompt="You are Timmy.")
    capture.user("s1", "u2", "Good one, Timmy!")

See Client (threads) and AsyncClient (asyncio).
"""

from ftcapture._requests import FORMATS
from ftcapture._types import ClientStats
from ftcapture._types import Example
from ftcapture._types import ExportResult
from ftcapture._types import FeedbackResult
from ftcapture._types import Memory
from ftcapture._types import Stats
from ftcapture._types import Turn
from ftcapture._types import TurnResult
from ftcapture.aio import AsyncClient
from ftcapture.client import Client
from ftcapture.errors import FtcaptureError

__all__ = [
    "AsyncClient", "Client", "ClientStats", "Example", "ExportResult",
    "FORMATS", "FeedbackResult", "FtcaptureError", "Memory", "Stats", "Turn",
    "TurnResult"
]
__version__ = "0.1.0"
