package dev.stevedore.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hardware limit for a job queue on this server: pgbench running the minimal SQL of one job's life (insert it,
 * claim it with SKIP LOCKED, mark it done), each statement its own transaction as a queue's would be, on a table
 * with a claim index and a claimer index and nothing else.
 */
final class PgbenchLimit {

    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+) \\(without initial connection time\\)");

    static final String SCHEMA = """
            DROP TABLE IF EXISTS limit_jobs;
            CREATE TABLE limit_jobs (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                queue text NOT NULL,
                state text NOT NULL,
                run_at timestamptz NOT NULL DEFAULT now(),
                claimed_by integer,
                finished_at timestamptz
            );
            CREATE INDEX limit_jobs_claim ON limit_jobs (queue, run_at, id) WHERE state = 'available';
            CREATE INDEX limit_jobs_claimed_by ON limit_jobs (claimed_by) WHERE claimed_by IS NOT NULL;
            """;

    /** One job's life, :batch jobs at a time; :client_id tells the claimers apart. */
    static final String SCRIPT = """
            INSERT INTO limit_jobs (queue, state) SELECT 'bench', 'available' FROM generate_series(1, :batch);
            UPDATE limit_jobs SET state = 'running', claimed_by = :client_id WHERE id IN (SELECT id FROM limit_jobs WHERE state = 'available' AND queue = 'bench' ORDER BY run_at, id LIMIT :batch FOR UPDATE SKIP LOCKED);
            UPDATE limit_jobs SET state = 'completed', claimed_by = NULL, finished_at = now() WHERE claimed_by = :client_id;
            """;

    private final Path pgbench;
    private final String host;
    private final int port;
    private final String user;
    private final String database;
    private final Path work;

    PgbenchLimit(Path binaries, String host, int port, String user, String database, Path work) throws IOException {
        // Where initdb really lives: a directory on PATH may hold a link to initdb and not the other tools.
        this.pgbench = binaries.resolve("initdb").toRealPath().resolveSibling("pgbench");
        this.host = host;
        this.port = port;
        this.user = user;
        this.database = database;
        this.work = work;
    }

    /** Jobs per second through the whole life of a job, {@code batch} jobs per statement, {@code clients} connections. */
    double jobsPerSecond(int batch, int clients, int seconds) throws IOException, InterruptedException {
        Files.createDirectories(work);
        Path schema = work.resolve("limit-schema.sql");
        Path script = work.resolve("limit-job.sql");
        Files.writeString(schema, SCHEMA);
        Files.writeString(script, SCRIPT);
        run(List.of(pgbench.getParent().resolve("psql").toString(), "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", Integer.toString(port),
                "-U", user, "-d", database, "-f", schema.toString()));
        String out = run(List.of(pgbench.toString(), "-n", "-h", host, "-p", Integer.toString(port), "-U", user, "-f", script.toString(),
                "-D", "batch=" + batch, "-c", Integer.toString(clients), "-j", Integer.toString(clients), "-T", Integer.toString(seconds), database));
        Matcher m = TPS.matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("pgbench printed no tps line: " + out);
        }
        return Double.parseDouble(m.group(1)) * batch;
    }

    private String run(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(command);
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command.subList(0, 1)) + " failed: " + new String(out));
        }
        return new String(out);
    }
}
