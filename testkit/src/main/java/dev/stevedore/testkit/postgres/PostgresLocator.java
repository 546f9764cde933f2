package dev.stevedore.testkit.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;

/**
 * Decides which PostgreSQL the tests use, in this order: the server named by {@code STEVEDORE_TEST_DB_URL};
 * a Testcontainers container when a Docker engine answers; a throwaway cluster started from the local
 * PostgreSQL binaries. It never skips: with none of them it fails with one line saying what to do.
 */
public final class PostgresLocator {

    static final String URL_VARIABLE = "STEVEDORE_TEST_DB_URL";
    static final String USER_VARIABLE = "STEVEDORE_TEST_DB_USER";
    static final String PASSWORD_VARIABLE = "STEVEDORE_TEST_DB_PASSWORD";
    static final String CONTAINER_IMAGE = "postgres:15-alpine";
    public static final String NOTHING_FOUND = "No PostgreSQL for tests: set " + URL_VARIABLE
            + " to a server's JDBC URL, start a Docker engine, or install postgresql (apt-get install postgresql)"
            + " so that initdb and pg_ctl can be found";

    enum Source { ENVIRONMENT, TESTCONTAINERS, LOCAL_BINARIES }

    /** What the decision looks at; the real machine in production, fakes in tests. */
    record Facts(Function<String, String> env, BooleanSupplier dockerAnswers, Optional<Path> localBinaries) {

        static Facts ofThisMachine() {
            return new Facts(System::getenv, PostgresLocator::dockerAnswers, findLocalBinaries(System.getenv("PATH")));
        }
    }

    record Choice(Source source, Optional<Path> binaries) {}

    private PostgresLocator() {}

    static Choice choose(Facts facts) {
        String url = facts.env().apply(URL_VARIABLE);
        if (url != null && !url.isBlank()) {
            return new Choice(Source.ENVIRONMENT, Optional.empty());
        }
        if (facts.dockerAnswers().getAsBoolean()) {
            return new Choice(Source.TESTCONTAINERS, Optional.empty());
        }
        if (facts.localBinaries().isPresent()) {
            return new Choice(Source.LOCAL_BINARIES, facts.localBinaries());
        }
        throw new IllegalStateException(NOTHING_FOUND);
    }

    static PostgresServer start(Facts facts) {
        Choice choice = choose(facts);
        return switch (choice.source()) {
            case ENVIRONMENT -> fromEnvironment(facts.env());
            case TESTCONTAINERS -> startContainer();
            case LOCAL_BINARIES -> LocalPostgresCluster.start(choice.binaries().orElseThrow());
        };
    }

    private static PostgresServer fromEnvironment(Function<String, String> env) {
        String url = env.apply(URL_VARIABLE).trim();
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new IllegalStateException(URL_VARIABLE + " must be a JDBC URL like jdbc:postgresql://localhost:5432/postgres, got: " + url);
        }
        return new PostgresServer(url, env.apply(USER_VARIABLE), env.apply(PASSWORD_VARIABLE), URL_VARIABLE + " (" + url + ")", () -> {});
    }

    @SuppressWarnings("resource") // stopped by the returned server's stop hook
    private static PostgresServer startContainer() {
        PostgreSQLContainer<?> container = new PostgreSQLContainer<>(CONTAINER_IMAGE).withDatabaseName("postgres");
        container.start();
        return new PostgresServer(container.getJdbcUrl(), container.getUsername(), container.getPassword(),
                "Testcontainers " + CONTAINER_IMAGE, container::stop);
    }

    /**
     * Asks Testcontainers only when something suggests an engine: its probe of a machine without Docker
     * is slow and noisy.
     */
    static boolean dockerAnswers() {
        String home = System.getProperty("user.home");
        boolean hint = System.getenv("DOCKER_HOST") != null
                || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(home, ".docker", "run", "docker.sock"))
                || Files.exists(Path.of(home, ".testcontainers.properties"));
        if (!hint) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A directory with both initdb and pg_ctl: from PATH, else the newest Debian or RHEL install. */
    public static Optional<Path> findLocalBinaries(String path) {
        Stream<Path> fromPath = path == null ? Stream.empty()
                : Stream.of(path.split(java.io.File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of);
        Stream<Path> installed = Stream.concat(versionDirs(Path.of("/usr/lib/postgresql"), ""), versionDirs(Path.of("/usr"), "pgsql-"));
        return Stream.concat(fromPath, installed).filter(PostgresLocator::hasServerBinaries).findFirst();
    }

    /** {@code parent/<prefix><version>/bin} for each installed version, newest first. */
    private static Stream<Path> versionDirs(Path parent, String prefix) {
        if (!Files.isDirectory(parent)) {
            return Stream.empty();
        }
        try (Stream<Path> children = Files.list(parent)) {
            return children.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(p -> p.getFileName().toString().substring(prefix.length()).matches("\\d+(\\.\\d+)?"))
                    .sorted(Comparator.comparingDouble((Path p) -> Double.parseDouble(p.getFileName().toString().substring(prefix.length()))).reversed())
                    .map(p -> p.resolve("bin"))
                    .toList().stream();
        } catch (IOException e) {
            return Stream.empty();
        }
    }

    private static boolean hasServerBinaries(Path dir) {
        return Files.isExecutable(dir.resolve("initdb")) && Files.isExecutable(dir.resolve("pg_ctl"));
    }
}
