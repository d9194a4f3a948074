import asyncio

async def producer(queue):
    for i in range(3):
        await asyncio.sleep(1)
        await queue.put(i)  # Add items to the queue
        print(f"Produced {i}")

async def consumer(queue):
    while True:
        item = await queue.get()
        print(f"Consumed {item}")
        queue.task_done()

async def main():
    queue = asyncio.Queue()
    prod_task = asyncio.create_task(producer(queue))
    cons_task = asyncio.create_task(consumer(queue))

    await prod_task
    await queue.join()  # Ensures all tasks are processed
    cons_task.cancel()  # Stop the consumer

asyncio.run(main())
