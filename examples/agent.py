"""An agent whose tools run concurrently, offline against the simulation server.

python examples/agent.py
"""

import asyncio

from aiochain import AgentChain, ChatOpenAI, tool
from aiochain.sim import SimServer


@tool
async def get_weather(city: str) -> str:
    """Current weather in a city.

    Args:
        city: the city's name.
    """
    await asyncio.sleep(1.0)  # a slow API
    return f"{city}: 21 C and sunny"


@tool
async def get_time(city: str) -> str:
    """Local time in a city.

    Args:
        city: the city's name.
    """
    await asyncio.sleep(1.0)
    return f"{city}: 14:05"


async def main() -> None:
    # The simulation calls every tool named in the question, with city=... as the argument.
    async with SimServer() as base_url, ChatOpenAI(base_url=base_url) as llm:
        agent = AgentChain(llm=llm, tools=[get_weather, get_time])
        result = await agent.ainvoke({"input": "get_weather and get_time for city=Lisbon"})
        print(result["output"])
        for step in result["transcript"].steps:
            for call in step.tool_calls:
                print(f"  step {step.number}: {call.name}({call.args}) took {call.seconds:.1f} s")
        print(f"  both tools together: {result['transcript'].steps[0].tools_seconds:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
