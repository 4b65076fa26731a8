"""Django's PostgreSQL backend, with a pool that never hands a request a dead connection.

A restarted server kills every connection idle in the pool. psycopg's own check (Django's
CONN_HEALTH_CHECKS) drops them one at a time and backs off after each, so a request can wait
past the pool's timeout; here the first dead one found has the pool check all of them at once.
"""

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


def is_alive(connection: psycopg.Connection) -> bool:
    try:
        ConnectionPool.check_connection(connection)
    except psycopg.Error:
        return False
    return True


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.pool is None or is_alive(connection):
            return connection
        self.pool.putconn(connection)
        self.pool.check()  # the server restarted: the others idle with this one died with it
        return super().get_new_connection(conn_params)
