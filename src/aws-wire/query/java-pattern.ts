/**
 * Translates the Java regular expressions in botocore's `pattern` constraints into JavaScript.
 *
 * AWS validates these server side with `java.util.regex.Matcher.matches()`: the whole value must
 * match. The syntax the models use is almost JavaScript's; the differences handled here are the
 * ones that would change the meaning or fail under the `u` flag (needed so that
 * `\uD800\uDC00-\uDBFF\uDFFF` reads as the code-point range U+10000–U+10FFFF, as Java reads it).
 * Java-only constructs the models do not use (nested classes, `&&`, inline flags, possessive
 * quantifiers, `\Q…\E`) are rejected at load time rather than silently mistranslated.
 */

/** Characters that stay escaped in a `u`-mode pattern; `-` only inside a class. */
const SYNTAX = new Set("^$\\.*+?()[]{}|/");
/** Java's `\s` is ASCII-only, unlike JavaScript's. */
const JAVA_SPACE = "\\t\\n\\x0B\\f\\r ";

/**
 * A `RegExp` that accepts exactly the strings Java's `Pattern.compile(source).matcher(s).matches()`
 * accepts. Throws on syntax it cannot translate faithfully.
 */
export function javaPatternToRegExp(source: string): RegExp {
  let out = "";
  /** The class being read: its body so far, whether it is negated, whether it holds `\S`. */
  let cls: { body: string; negated: boolean; nonSpace: boolean } | undefined;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    let piece: string;
    if (c === "\\") {
      const e = source[++i];
      if (e === undefined) throw new SyntaxError(`pattern ends with a backslash: ${source}`);
      if (e === "s") {
        piece = cls ? JAVA_SPACE : `[${JAVA_SPACE}]`;
      } else if (e === "S") {
        // JavaScript's \S also leaves out Unicode spaces; inside a class it becomes a union below.
        if (cls) cls.nonSpace = true;
        piece = cls ? "" : `[^${JAVA_SPACE}]`;
      } else if (e === "Q" || e === "E" || e === "A" || e === "Z" || e === "z" || e === "G") {
        throw new SyntaxError(`\\${e} is not supported: ${source}`);
      } else if (/[0-9A-Za-z]/.test(e)) {
        // \uXXXX, \xXX, \d, \w, \b, \p{L}, \n, \t … mean the same in both under the `u` flag.
        piece = "\\" + e;
      } else if (SYNTAX.has(e) || (cls && e === "-")) {
        piece = "\\" + e;
      } else {
        // Java allows escaping any punctuation (`\_`, `\:`); `u` mode refuses those escapes.
        piece = e;
      }
    } else if (cls) {
      if (c === "[") throw new SyntaxError(`nested character classes are not supported: ${source}`);
      if (c === "&" && source[i + 1] === "&") throw new SyntaxError(`class intersection is not supported: ${source}`);
      if (c === "]") {
        out += closeClass(cls, source);
        cls = undefined;
        continue;
      }
      piece = c;
    } else if (c === "[") {
      cls = { body: "", negated: source[i + 1] === "^", nonSpace: false };
      if (cls.negated) i++;
      // A `]` right after `[` or `[^` is a literal in Java; JavaScript would close the class.
      if (source[i + 1] === "]") {
        cls.body = "\\]";
        i++;
      }
      continue;
    } else {
      if (c === "(" && source[i + 1] === "?" && !/[:=!<]/.test(source[i + 2] ?? "")) {
        throw new SyntaxError(`inline flags are not supported: ${source}`);
      }
      if (c === "+" && /[*+?}]/.test(source[i - 1] ?? "") && source[i - 2] !== "\\") {
        throw new SyntaxError(`possessive quantifiers are not supported: ${source}`);
      }
      piece = c;
    }
    if (cls) cls.body += piece;
    else out += piece;
  }
  if (cls) throw new SyntaxError(`unterminated character class: ${source}`);
  return new RegExp(`^(?:${out})$`, "u");
}

function closeClass(cls: { body: string; negated: boolean; nonSpace: boolean }, source: string): string {
  const plain = `[${cls.negated ? "^" : ""}${cls.body}]`;
  if (!cls.nonSpace) return plain;
  if (cls.negated) throw new SyntaxError(`\\S inside a negated class is not supported: ${source}`);
  return cls.body === "" ? `[^${JAVA_SPACE}]` : `(?:${plain}|[^${JAVA_SPACE}])`;
}
