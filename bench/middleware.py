from django.db import connection

HEADER = "X-Bench-Queries"


def query_count_header(get_response):
    """Answer every request with the number of SQL queries it ran (counted, not logged)."""

    def middleware(request):
        count = 0

        def counted(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = get_response(request)
        response[HEADER] = str(count)
        return response

    return middleware
