import redis
from scrapy.settings import BaseSettings

def get_redis_from_settings(settings: BaseSettings) -> redis.Redis: ...
