/* Parser benchmark: microseconds per statement for a 10-value INSERT and for a 40-line query.
 * Prints figures; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "memory/pool.h"
#include "parser/parser.h"

static const char *insert_sql = "INSERT INTO t VALUES (1, 2, 3, 'a', 'b', 4.5, NULL, true, 9, 10)";

static const char *long_sql =
    "WITH recent_orders AS (\n"
    "    SELECT o.order_id, o.customer_id, o.order_date, o.total_amount\n"
    "    FROM orders o\n"
    "    WHERE o.order_date >= DATE '2023-01-01' - INTERVAL 90 DAY\n"
    "      AND o.status IN ('shipped', 'delivered', 'completed')\n"
    "),\n"
    "customer_totals AS (\n"
    "    SELECT c.customer_id, c.name, c.region,\n"
    "           count(*) AS order_count,\n"
    "           sum(r.total_amount) AS revenue,\n"
    "           avg(r.total_amount) AS avg_order,\n"
    "           max(r.order_date) AS last_order\n"
    "    FROM customers c\n"
    "    JOIN recent_orders r ON r.customer_id = c.customer_id\n"
    "    LEFT JOIN regions g USING (region)\n"
    "    WHERE c.active AND c.signup_date < r.order_date\n"
    "    GROUP BY c.customer_id, c.name, c.region\n"
    "    HAVING count(*) > 2 OR sum(r.total_amount) > 1000.50\n"
    ")\n"
    "SELECT ct.region,\n"
    "       ct.name,\n"
    "       ct.order_count,\n"
    "       ct.revenue,\n"
    "       CAST(ct.avg_order AS DECIMAL(18, 2)) AS avg_order,\n"
    "       CASE WHEN ct.revenue > 10000 THEN 'platinum'\n"
    "            WHEN ct.revenue > 5000 THEN 'gold'\n"
    "            WHEN ct.revenue > 1000 THEN 'silver'\n"
    "            ELSE 'bronze' END AS tier,\n"
    "       rank() OVER (PARTITION BY ct.region ORDER BY ct.revenue DESC) AS region_rank,\n"
    "       ct.revenue / nullif(sum(ct.revenue) OVER (PARTITION BY ct.region), 0) AS share,\n"
    "       coalesce(ct.last_order, DATE '1970-01-01') AS last_order\n"
    "FROM customer_totals ct\n"
    "WHERE ct.region IS NOT NULL\n"
    "  AND ct.name NOT LIKE 'test%'\n"
    "  AND ct.order_count BETWEEN 3 AND 1000\n"
    "  AND NOT EXISTS (SELECT 1 FROM blocked b WHERE b.customer_id = ct.customer_id)\n"
    "QUALIFY region_rank <= 10\n"
    "ORDER BY ct.region ASC, region_rank ASC, ct.name\n"
    "LIMIT 100 OFFSET 0";

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double run(arena *a, const char *sql, long iterations) {
    error err;
    error_clear(&err);
    parsed_statements st;
    double start = now_us();
    for (long i = 0; i < iterations; i++) {
        arena_reset(a);
        if (!parse_sql(a, sql, &st, &err) || st.count != 1) {
            fprintf(stderr, "parse failed: %s\n", err.message);
            return -1;
        }
    }
    return (now_us() - start) / (double)iterations;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0) n = 1000000;
    buffer_pool *pool = pool_create((uint64_t)1 << 30);
    arena *a = arena_create(pool, TAG_ALLOCATOR);
    int lines = 1;
    for (const char *c = long_sql; *c; c++) lines += *c == '\n';
    printf("10-value INSERT: %.3f us per statement (%ld parses)\n", run(a, insert_sql, n), n);
    long m = n / 10 > 0 ? n / 10 : 1;
    printf("%d-line query:   %.3f us per statement (%ld parses)\n", lines, run(a, long_sql, m), m);
    arena_destroy(a);
    pool_destroy(pool);
    return 0;
}
