package dev.stevedore.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SecretsTest {

    @Test
    void masksThePasswordOfACloudNativePgJdbcUri() {
        String cnpg = "jdbc:postgresql://pg-rw.db.svc:5432/app?password=Xk2%40p!9z&user=app";
        assertThat(Secrets.mask(cnpg)).isEqualTo("jdbc:postgresql://pg-rw.db.svc:5432/app?password=***&user=app");
        assertThat(Secrets.mask("jdbc:postgresql://db/app?user=app&password=hunter22"))
                .isEqualTo("jdbc:postgresql://db/app?user=app&password=***");
        assertThat(Secrets.mask("jdbc:postgresql://db/app?sslpassword=k3y&sslmode=verify-full"))
                .isEqualTo("jdbc:postgresql://db/app?sslpassword=***&sslmode=verify-full");
        assertThat(Secrets.mask("postgresql://app:hunter22@db:5432/app")).isEqualTo("postgresql://app:***@db:5432/app");
    }

    @Test
    void masksUrlsInsideMessagesAndKnownPasswordsVerbatim() {
        assertThat(Secrets.mask("Failed to get driver instance for jdbcUrl=jdbc:postgres://db/app?password=hunter22 (bad prefix)"))
                .isEqualTo("Failed to get driver instance for jdbcUrl=jdbc:postgres://db/app?password=*** (bad prefix)");
        assertThat(Secrets.mask("got 'jdbc:x://db/app?Password=hunter22'")).isEqualTo("got 'jdbc:x://db/app?Password=***'");
        assertThat(Secrets.mask("auth failed with hunter22 somewhere", "hunter22")).isEqualTo("auth failed with *** somewhere");
        assertThat(Secrets.mask("jdbc:postgresql://db:5432/app")).as("nothing to hide").isEqualTo("jdbc:postgresql://db:5432/app");
    }

    @Test
    void rootMessagesAreMasked() {
        Exception e = new QueueException("could not connect", new SQLException("no driver for jdbcUrl=jdbc:pg://db/app?password=hunter22"));
        assertThat(Errors.rootMessage(e)).isEqualTo("no driver for jdbcUrl=jdbc:pg://db/app?password=***");
    }
}
