import asyncio

async def delayed_message():
    print("Message will appear after 2 seconds...")
    await asyncio.sleep(2)  # Non-blocking sleep
    print("Hello, world!")

asyncio.run(delayed_message())
