import asyncio

async def task(name, duration):
    print(f"Starting {name}")
    await asyncio.sleep(duration)
    print(f"Finished {name}")

async def main():
    t1 = asyncio.create_task(task("Task 1", 3))
    t2 = asyncio.create_task(task("Task 2", 2))

    await t1  # Waits for Task 1
    await t2  # Waits for Task 2

asyncio.run(main())
