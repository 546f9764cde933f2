package dev.stevedore.queue.internal;

/**
 * A strict JSON syntax check (RFC 8259), so bad job arguments or checkpoints are refused with their
 * position before anything is written. The queue stores JSON as text and leaves parsing to handlers,
 * so it needs no JSON library.
 */
public final class Json {

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Throws IllegalArgumentException naming {@code what} and the position when {@code json} is not valid JSON. */
    public static void requireValid(String json, String what) {
        if (json == null) {
            throw new IllegalArgumentException(what + " is missing: pass a JSON value such as {}");
        }
        Json parser = new Json(json);
        try {
            parser.skipWhitespace();
            parser.value(0);
            parser.skipWhitespace();
            if (parser.pos != json.length()) {
                throw parser.error("unexpected text after the JSON value");
            }
        } catch (IndexOutOfBoundsException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: it ends too early");
        } catch (SyntaxError e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getMessage());
        }
    }

    private void value(int depth) {
        if (depth > 512) {
            throw error("nested too deeply");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else {
                    throw error("unexpected character '" + c + "'");
                }
            }
        }
    }

    private void object(int depth) {
        pos++;
        skipWhitespace();
        if (text.charAt(pos) == '}') {
            pos++;
            return;
        }
        while (true) {
            skipWhitespace();
            if (text.charAt(pos) != '"') {
                throw error("expected a quoted member name");
            }
            string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            value(depth + 1);
            skipWhitespace();
            char c = text.charAt(pos++);
            if (c == '}') {
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private void array(int depth) {
        pos++;
        skipWhitespace();
        if (text.charAt(pos) == ']') {
            pos++;
            return;
        }
        while (true) {
            skipWhitespace();
            value(depth + 1);
            skipWhitespace();
            char c = text.charAt(pos++);
            if (c == ']') {
                return;
            }
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private void string() {
        pos++;
        while (true) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return;
            }
            if (c < 0x20) {
                pos--;
                throw error("control character in a string");
            }
            if (c == '\\') {
                char e = text.charAt(pos++);
                if (e == 'u') {
                    for (int i = 0; i < 4; i++) {
                        if (Character.digit(text.charAt(pos++), 16) < 0) {
                            pos--;
                            throw error("bad \\u escape");
                        }
                    }
                } else if ("\"\\/bfnrt".indexOf(e) < 0) {
                    pos--;
                    throw error("bad escape '\\" + e + "'");
                }
            }
        }
    }

    private void number() {
        if (text.charAt(pos) == '-') {
            pos++;
        }
        if (text.charAt(pos) == '0') {
            pos++;
        } else {
            digits();
        }
        if (pos < text.length() && text.charAt(pos) == '.') {
            pos++;
            digits();
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            pos++;
            if (text.charAt(pos) == '+' || text.charAt(pos) == '-') {
                pos++;
            }
            digits();
        }
    }

    private void digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start) {
            throw error("expected a digit");
        }
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected character '" + text.charAt(pos) + "'");
        }
        pos += word.length();
    }

    private void expect(char c) {
        if (text.charAt(pos) != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private SyntaxError error(String message) {
        return new SyntaxError(message + " at character " + (pos + 1));
    }

    /** A JSON string literal for {@code value}. */
    public static String quote(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static final class SyntaxError extends RuntimeException {
        SyntaxError(String message) {
            super(message, null, false, false);
        }
    }
}
