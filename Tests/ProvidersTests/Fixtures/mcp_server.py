"""An MCP server for the provider tests, written with the official `mcp` package.

Run: python mcp_server.py            (stdio)
     python mcp_server.py http PORT  (Streamable HTTP on 127.0.0.1:PORT/mcp)
"""
import sys

from mcp.server.fastmcp import FastMCP

server = FastMCP("platform-test-tools")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two integers."""
    return str(a + b)


@server.tool()
def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


@server.tool()
def explode(reason: str) -> str:
    """Always fails, with the given reason."""
    raise ValueError(f"exploded: {reason}")


@server.resource("notes://readme", name="readme", mime_type="text/plain")
def readme() -> str:
    return "Tools for tests."


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.settings.host = "127.0.0.1"
        server.settings.port = int(sys.argv[2])
        server.settings.json_response = True
        server.run(transport="streamable-http")
    else:
        server.run()
