import asyncio

async def task1():
    print("Task 1 started")
    await asyncio.sleep(3)  # Simulating a time-consuming operation
    print("Task 1 completed")

async def task2():
    print("Task 2 started")
    await asyncio.sleep(2)  # Simulating another time-consuming operation
    print("Task 2 completed")

async def main():
    await asyncio.gather(task1(), task2())  # Runs both tasks concurrently

asyncio.run(main())
