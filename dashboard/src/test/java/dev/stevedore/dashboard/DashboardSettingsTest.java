package dev.stevedore.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DashboardSettingsTest {

    @Test
    void readsTheWorkersDatabaseVariablesAndItsOwnToken() {
        DashboardSettings s = DashboardSettings.fromEnvironment(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://db:5432/app?password=hunter2hunter2",
                "STEVEDORE_DB_USER", "app", "STEVEDORE_DB_PASSWORD", "s3cret-pass", "STEVEDORE_DASHBOARD_TOKEN", "abcdefghijklmnopqrst",
                "STEVEDORE_DASHBOARD_REFRESH", "10s"));
        assertThat(s.changesEnabled()).isTrue();
        assertThat(s.refresh()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.databaseLabel()).isEqualTo("db:5432/app · schema stevedore");
        assertThat(s.toString()).doesNotContain("hunter2", "s3cret-pass", "abcdefghijklmnopqrst").contains("changes=enabled");

        DashboardSettings readOnly = DashboardSettings.fromEnvironment(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://db/app"));
        assertThat(readOnly.changesEnabled()).isFalse();
        assertThat(readOnly.refresh()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void eachBadValueIsOneLineNamingTheVariable() {
        assertInvalid(Map.of(), "STEVEDORE_DB_URL is not set");
        assertInvalid(Map.of("STEVEDORE_DB_URL", "postgres://u:topsecret@db/app"), "STEVEDORE_DB_URL must be a PostgreSQL JDBC URL");
        assertThatThrownBy(() -> DashboardSettings.fromEnvironment(Map.of("STEVEDORE_DB_URL", "postgres://u:topsecret@db/app")))
                .message().doesNotContain("topsecret");
        assertInvalid(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://db/app", "STEVEDORE_DASHBOARD_TOKEN", "short"),
                "STEVEDORE_DASHBOARD_TOKEN must be at least 16 characters");
        assertInvalid(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://db/app", "STEVEDORE_SCHEMA", "no way"), "STEVEDORE_SCHEMA");
        assertInvalid(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://db/app", "STEVEDORE_DASHBOARD_REFRESH", "soon"), "STEVEDORE_DASHBOARD_REFRESH");
        assertInvalid(Map.of("STEVEDORE_DB_URL", "jdbc:postgresql://db/app", "STEVEDORE_DASHBOARD_REFRESH", "100ms"), "at least 1s");
    }

    private static void assertInvalid(Map<String, String> env, String words) {
        assertThatThrownBy(() -> DashboardSettings.fromEnvironment(env)).isInstanceOf(DashboardSettings.InvalidSetting.class)
                .hasMessageContaining(words).message().doesNotContain("\n");
    }
}
