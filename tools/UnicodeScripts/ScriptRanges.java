// Prints the Unicode Script property as ranges ("<first code point hex> <SCRIPT>" per line) from the JDK's
// Character.UnicodeScript. Run with JDK 16/17, whose tables are Unicode 13.0 — the version of ICU 69.1, which
// current TensorFlow links (third_party/icu/workspace.bzl) for UnicodeScript (unicode_script_op.cc).
// Used by generate.py; see README.md.
public class ScriptRanges {
  public static void main(String[] a) {
    StringBuilder sb = new StringBuilder();
    String prev = null; int start = 0;
    for (int cp = 0; cp <= 0x10FFFF; cp++) {
      String s = Character.UnicodeScript.of(cp).name();
      if (!s.equals(prev)) { if (prev != null) sb.append(Integer.toHexString(start)).append(' ').append(prev).append('\n'); prev = s; start = cp; }
    }
    sb.append(Integer.toHexString(start)).append(' ').append(prev).append('\n');
    System.out.print(sb);
    System.err.println(System.getProperty("java.version"));
  }
}
