package dev.stevedore.operator.model;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Where the queue lives. Key names default to those of a CloudNativePG application secret. */
public class DatabaseSpec {

    @Required
    @JsonPropertyDescription("Name of a Secret in the pool's namespace.")
    private String secretName;

    @Default("jdbc-uri")
    @JsonPropertyDescription("Key of the JDBC URL in the Secret.")
    private String urlKey = "jdbc-uri";

    @Default("username")
    private String usernameKey = "username";

    @Default("password")
    private String passwordKey = "password";

    @Pattern("^[a-z_][a-z0-9_]{0,49}$")
    @Default("stevedore")
    @JsonPropertyDescription("Schema of the queue tables.")
    private String schema = "stevedore";

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    public String getUrlKey() {
        return urlKey;
    }

    public void setUrlKey(String urlKey) {
        this.urlKey = urlKey;
    }

    public String getUsernameKey() {
        return usernameKey;
    }

    public void setUsernameKey(String usernameKey) {
        this.usernameKey = usernameKey;
    }

    public String getPasswordKey() {
        return passwordKey;
    }

    public void setPasswordKey(String passwordKey) {
        this.passwordKey = passwordKey;
    }

    public String getSchema() {
        return schema;
    }

    public void setSchema(String schema) {
        this.schema = schema;
    }
}
