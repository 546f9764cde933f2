package dev.stevedore.testkit.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class PostgresExtensionTest {

    private final TestDatabase outer;

    PostgresExtensionTest(TestDatabase outer) {
        this.outer = outer;
    }

    @Test
    void givesARealPostgresqlDatabaseOfVersion13OrNewer(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT current_database()")).isEqualTo(db.name());
            // DROP DATABASE ... WITH (FORCE) and the queue's SQL need 13+.
            assertThat(Integer.parseInt(single(s, "SHOW server_version_num"))).isGreaterThanOrEqualTo(130000);
            s.execute("CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, v text)");
            s.execute("INSERT INTO t (v) VALUES ('a'), ('b')");
            assertThat(single(s, "SELECT string_agg(v, ',' ORDER BY id) FROM t")).isEqualTo("a,b");
        }
    }

    @Test
    void injectsTheSameDatabaseIntoEveryTestOfTheClass(TestDatabase db, DataSource dataSource) throws SQLException {
        assertThat(db).isEqualTo(outer);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            assertThat(single(s, "SELECT current_database()")).isEqualTo(outer.name());
        }
    }

    @Test
    void theDatabaseOwnerMayCreateRolesAndSchemasAsMigrationsWill(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA queue_test");
            s.execute("CREATE TABLE queue_test.jobs (id bigint PRIMARY KEY)");
            assertThat(single(s, "SELECT count(*) FROM queue_test.jobs")).isEqualTo("0");
        }
    }

    /**
     * Two sibling classes create the same table and each must see only its own row. Sharing a database
     * would make the second CREATE TABLE fail, whichever class runs second.
     */
    @Nested
    class FirstClass {
        @Test
        void hasADatabaseOfItsOwn(TestDatabase db) throws SQLException {
            assertIsolated(db, outer, "first");
        }
    }

    @Nested
    class SecondClass {
        @Test
        void hasADatabaseOfItsOwn(TestDatabase db) throws SQLException {
            assertIsolated(db, outer, "second");
        }
    }

    @Test
    void aDroppedDatabaseIsGone(TestDatabase db) throws SQLException {
        TestDatabase scratch = db.server().createDatabase("t_scratch_" + ProcessHandle.current().pid());
        try (Connection c = scratch.connect()) {
            assertThat(c.isValid(2)).isTrue();
        }
        db.server().dropDatabase(scratch.name());
        assertThatThrownBy(scratch::connect).isInstanceOf(SQLException.class).hasMessageContaining("does not exist");
    }

    private static void assertIsolated(TestDatabase db, TestDatabase outer, String marker) throws SQLException {
        assertThat(db.name()).isNotEqualTo(outer.name());
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE marker (owner text NOT NULL)");
            s.execute("INSERT INTO marker VALUES ('" + marker + "')");
            assertThat(column(s, "SELECT owner FROM marker")).containsExactly(marker);
        }
    }

    private static String single(Statement s, String sql) throws SQLException {
        List<String> values = column(s, sql);
        assertThat(values).hasSize(1);
        return values.get(0);
    }

    private static List<String> column(Statement s, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
