package dev.stevedore.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** crds/ holds the CRD users apply; it must be exactly what the Java model generates. */
class CrdUpToDateIT {

    private static final String FILE = "jobworkerpools.stevedore.dev-v1.yml";

    @Test
    void theCommittedCrdMatchesTheGeneratedOne() throws Exception {
        Path generated = Path.of("target", "kubernetes", FILE);
        Path committed = Path.of("..", "crds", FILE);
        assertThat(generated).as("the build generates the CRD").exists();
        assertThat(Files.readString(committed))
                .as("crds/%s is out of date with the Java model: run ./mvnw -pl operator -am package -DskipTests, then cp operator/%s crds/",
                        FILE, generated)
                .isEqualTo(Files.readString(generated));
    }
}
