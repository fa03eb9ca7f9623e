"""`python -m services.projection.alerts`: find tasks behind their targets and publish alerts."""

import asyncio

from services.projection.alerts.app import SERVICE, configure
from shared.service import serve_forever


def main() -> None:
    asyncio.run(serve_forever(SERVICE, configure))


if __name__ == "__main__":
    main()
