package dev.stevedore.testkit.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stevedore.testkit.postgres.PostgresLocator.Facts;
import dev.stevedore.testkit.postgres.PostgresLocator.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresLocatorTest {

    private static final Optional<Path> BINARIES = Optional.of(Path.of("pg", "bin"));

    @Test
    void theEnvironmentVariableWinsOverDockerAndLocalBinaries() {
        Facts facts = new Facts(Map.of(PostgresLocator.URL_VARIABLE, "jdbc:postgresql://db:5432/postgres")::get, () -> true, BINARIES);
        assertThat(PostgresLocator.choose(facts).source()).isEqualTo(Source.ENVIRONMENT);
    }

    @Test
    void aBlankVariableCountsAsUnset() {
        Facts facts = new Facts(Map.of(PostgresLocator.URL_VARIABLE, "  ")::get, () -> false, BINARIES);
        assertThat(PostgresLocator.choose(facts).source()).isEqualTo(Source.LOCAL_BINARIES);
    }

    @Test
    void dockerWinsOverLocalBinaries() {
        Facts facts = new Facts(name -> null, () -> true, BINARIES);
        assertThat(PostgresLocator.choose(facts).source()).isEqualTo(Source.TESTCONTAINERS);
    }

    @Test
    void localBinariesAreTheLastResort() {
        Facts facts = new Facts(name -> null, () -> false, BINARIES);
        assertThat(PostgresLocator.choose(facts)).isEqualTo(new PostgresLocator.Choice(Source.LOCAL_BINARIES, BINARIES));
    }

    @Test
    void withNothingAtAllItSaysWhatToDoInOneLine() {
        Facts facts = new Facts(name -> null, () -> false, Optional.empty());
        assertThatThrownBy(() -> PostgresLocator.choose(facts))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(PostgresLocator.NOTHING_FOUND)
                .hasMessageContaining("STEVEDORE_TEST_DB_URL")
                .hasMessageContaining("install postgresql")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aMalformedUrlIsNamedWithTheExpectedShape() {
        Facts facts = new Facts(Map.of(PostgresLocator.URL_VARIABLE, "postgres://db/x")::get, () -> false, Optional.empty());
        assertThatThrownBy(() -> PostgresLocator.start(facts))
                .hasMessageContaining("STEVEDORE_TEST_DB_URL must be a JDBC URL like jdbc:postgresql://");
    }

    @Test
    void findsInitdbAndPgCtlOnThePath(@TempDir Path dir) throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Path onlyInitdb = Files.createDirectory(dir.resolve("half"));
        executable(onlyInitdb.resolve("initdb"));
        Path full = Files.createDirectory(dir.resolve("full"));
        executable(full.resolve("initdb"));
        executable(full.resolve("pg_ctl"));

        String path = String.join(java.io.File.pathSeparator, empty.toString(), onlyInitdb.toString(), full.toString());
        assertThat(PostgresLocator.findLocalBinaries(path)).contains(full);
    }

    private static void executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
