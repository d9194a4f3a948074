import asyncio
import aiohttp

async def fetch(url):
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            return await response.text()

async def main():
    url = "https://www.example.com"
    html = await fetch(url)
    print(html[:100])  # Print first 100 characters

asyncio.run(main())
