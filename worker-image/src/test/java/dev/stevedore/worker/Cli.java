package dev.stevedore.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stevedore.cli.StevedoreCli;
import dev.stevedore.testkit.postgres.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** The stevedore CLI, as an operator would run it against the test database. */
final class Cli {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, String> env;

    Cli(TestDatabase db) {
        this.env = Map.of("STEVEDORE_DB_URL", db.jdbcUrl(), "STEVEDORE_DB_USER", db.user(), "STEVEDORE_DB_PASSWORD", db.password());
    }

    String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = StevedoreCli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        if (exit != 0) {
            throw new AssertionError("stevedore " + String.join(" ", args) + " exited " + exit + ": " + err);
        }
        return out.toString();
    }

    JsonNode json(String... args) {
        try {
            return JSON.readTree(run(args));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    long count(String state) {
        return json("stats", "-o", "json").get("jobs").get(state).asLong();
    }
}
