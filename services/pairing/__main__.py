"""`python -m services.pairing`: run the school-pairing service until stopped."""

import asyncio

from services.pairing.app import SERVICE, configure
from shared.service import serve_forever


def main() -> None:
    asyncio.run(serve_forever(SERVICE, configure))


if __name__ == "__main__":
    main()
