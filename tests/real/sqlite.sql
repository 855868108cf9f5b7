-- A few thousand inserts, an index build and queries.
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO t(name, grp, val) SELECT 'name-' || (i * 7919 % 5000), i % 37, i * 1.5 FROM n;
BEGIN;
INSERT INTO t(name, grp, val) VALUES ('extra-1', 1, 1.0), ('extra-2', 2, 2.0), ('extra-3', 3, 3.0);
COMMIT;
CREATE INDEX t_name ON t(name);
CREATE INDEX t_grp_val ON t(grp, val);
SELECT count(*), sum(val), min(name), max(name) FROM t;
SELECT grp, count(*), round(avg(val), 3) FROM t GROUP BY grp ORDER BY grp LIMIT 10;
SELECT id, name FROM t WHERE name BETWEEN 'name-100' AND 'name-1005' ORDER BY name, id;
SELECT count(*) FROM t a JOIN t b ON a.grp = b.grp AND a.id < b.id WHERE a.id < 300 AND b.id < 300;
UPDATE t SET val = val * 2 WHERE grp = 5;
DELETE FROM t WHERE grp = 7;
SELECT count(*), round(sum(val), 2) FROM t;
PRAGMA integrity_check;
