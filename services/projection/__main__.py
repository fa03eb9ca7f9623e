"""`python -m services.projection`: run the read models and the reporting API until stopped."""

import asyncio

from services.projection.app import serve_forever


def main() -> None:
    asyncio.run(serve_forever())


if __name__ == "__main__":
    main()
