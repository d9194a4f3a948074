import asyncio

async def task1():
    await asyncio.sleep(3)
    print("Task 1 completed")

async def task2():
    await asyncio.sleep(2)
    print("Task 2 completed")

async def main():
    await asyncio.gather(task1(), task2())  # Run both tasks in parallel

asyncio.run(main())
