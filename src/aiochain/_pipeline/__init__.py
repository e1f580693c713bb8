"""The request pipeline every model call goes through (cache -> limiter -> retry -> HTTP ->
usage), with what it keeps: the limiter's buckets, token estimates, rate-limit headers, the
answer cache, run statistics and the SQLite files."""
