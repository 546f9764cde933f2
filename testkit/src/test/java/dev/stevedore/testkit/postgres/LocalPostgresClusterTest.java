package dev.stevedore.testkit.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Starts and stops a second, private cluster: the path every machine without Docker takes. */
class LocalPostgresClusterTest {

    @Test
    void startsAClusterThatAcceptsConnectionsAndStopsItForGood() throws SQLException {
        Optional<java.nio.file.Path> binaries = PostgresLocator.findLocalBinaries(System.getenv("PATH"));
        assertThat(binaries).as(PostgresLocator.NOTHING_FOUND).isPresent();

        PostgresServer server = LocalPostgresCluster.start(binaries.orElseThrow());
        try (Connection c = server.connectAdmin(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user, current_setting('fsync')")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(LocalPostgresCluster.SUPERUSER);
            assertThat(rs.getString(2)).isEqualTo("off");
        } finally {
            server.stop();
        }
        assertThatThrownBy(server::connectAdmin).isInstanceOf(SQLException.class).hasMessageContaining("Connection");
    }
}
