/* Cancelling a running query from another thread: it stops promptly with an Interrupted error,
 * the pool holds nothing for it afterwards, and the connection runs the next query. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eider.h"
#include "main/database.h"
#include "test_util.h"

typedef struct runner {
    eider_connection *con;
    const char *sql;
    eider_result *result;
    double seconds;
} runner;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *run(void *arg) {
    runner *r = arg;
    double t0 = now();
    eider_query(r->con, r->sql, &r->result);
    r->seconds = now() - t0;
    return NULL;
}

/* Starts sql, waits until it has run for a while, interrupts it. */
static void interrupt_query(eider_database *db, eider_connection *con, const char *sql) {
    uint64_t before = pool_used_bytes(db->pool);
    runner r = {.con = con, .sql = sql};
    pthread_t t;
    pthread_create(&t, NULL, run, &r);
    usleep(300 * 1000);
    double t0 = now();
    eider_interrupt(con);
    pthread_join(t, NULL);
    double latency = now() - t0;
    CHECK(r.result && eider_result_error_type(r.result) == EIDER_ERROR_INTERRUPTED, "%s: %s", sql,
          r.result && eider_result_error(r.result) ? eider_result_error(r.result) : "finished without interruption");
    CHECK(latency < 1.0, "cancellation took %.3f s", latency);
    eider_result_destroy(r.result);
    CHECK(pool_used_bytes(db->pool) <= before, "pool after cancel %llu vs before %llu",
          (unsigned long long)pool_used_bytes(db->pool), (unsigned long long)before);
    eider_result *ok;
    eider_query(con, "SELECT 42", &ok);
    CHECK(!eider_result_error(ok) && eider_value_int64(ok, 0, 0) == 42, "next query works");
    eider_result_destroy(ok);
}

int main(void) {
    eider_database *db;
    eider_connection *con;
    eider_config *cfg;
    eider_config_create(&cfg);
    eider_config_set(cfg, "threads", "2");
    if (eider_open(NULL, cfg, &db, NULL) != EIDER_SUCCESS || eider_connect(db, &con) != EIDER_SUCCESS) return 1;
    eider_config_destroy(cfg);
    eider_result *r;
    eider_query(con, "CREATE TABLE t AS SELECT range AS i FROM range(3000000)", &r);
    eider_result_destroy(r);
    /* a long aggregate, a long join and a long sort: each is cut short */
    interrupt_query(db, con, "SELECT count(*) FROM (SELECT i % 1000 AS g, count(*) FROM range(100000000000) r(i) GROUP BY g)");
    interrupt_query(db, con, "SELECT count(*) FROM t a, t b WHERE a.i + b.i = -1");
    interrupt_query(db, con, "SELECT * FROM range(100000000000) r(i) ORDER BY i DESC LIMIT 5");
    eider_disconnect(con);
    eider_close(db);
    return test_summary();
}
