"""`python -m services.evaluation`: run the guidance and evaluation service until stopped."""

import asyncio

from services.evaluation.app import SERVICE, configure
from shared.service import serve_forever


def main() -> None:
    asyncio.run(serve_forever(SERVICE, configure))


if __name__ == "__main__":
    main()
