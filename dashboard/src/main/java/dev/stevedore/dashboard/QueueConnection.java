package dev.stevedore.dashboard;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.stevedore.queue.QueueAdmin;
import dev.stevedore.queue.QueueInsights;
import dev.stevedore.queue.SessionSettings;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.inject.Singleton;
import jakarta.enterprise.event.Observes;
import java.time.Duration;

/**
 * The dashboard's only way to the database: the queue's admin and insights APIs over a small pool. It starts while the
 * database is down (pages then say so, and readiness fails) and never needs more than a few connections.
 */
@Singleton
public class QueueConnection {

    private final DashboardSettings settings;
    private final HikariDataSource dataSource;
    private final QueueAdmin admin;
    private final QueueInsights insights;

    QueueConnection() {
        this.settings = DashboardSettings.fromEnvironment(System.getenv());
        HikariConfig config = new HikariConfig();
        config.setPoolName("stevedore-dashboard");
        config.setJdbcUrl(settings.dbUrl());
        if (settings.dbUser() != null) {
            config.setUsername(settings.dbUser());
        }
        if (settings.dbPassword() != null) {
            config.setPassword(settings.dbPassword());
        }
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(Duration.ofSeconds(3).toMillis());
        config.setInitializationFailTimeout(-1); // start while the database is down
        config.setDataSourceProperties(SessionSettings.jdbcProperties());
        config.setValidationTimeout(Duration.ofSeconds(1).toMillis());
        config.addDataSourceProperty("ApplicationName", "stevedore-dashboard");
        this.dataSource = new HikariDataSource(config);
        this.admin = new QueueAdmin(dataSource, settings.schema());
        this.insights = new QueueInsights(dataSource, settings.schema());
    }

    public DashboardSettings settings() {
        return settings;
    }

    public QueueAdmin admin() {
        return admin;
    }

    public QueueInsights insights() {
        return insights;
    }

    void close(@Observes ShutdownEvent event) {
        dataSource.close();
    }
}
