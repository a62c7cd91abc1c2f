# Sourced by ./sovereign and ./run-tests: sets JAVA_HOME to a JDK whose major version is >= 25.
# Order: $JAVA_HOME if new enough, then `java` on the PATH, then the usual install roots.
# Prints one line to stderr and returns 1 when none is found.

sovereign_java_major() { # $1 = a java executable; prints its major version
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

sovereign_find_jdk() {
  local wanted=25 candidate major dir
  local -a candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for dir in /usr/lib/jvm /usr/java /opt/java /opt /Library/Java/JavaVirtualMachines "$HOME/.sdkman/candidates/java" "$HOME/.jdks"; do
    [ -d "$dir" ] || continue
    for candidate in "$dir"/*; do
      [ -x "$candidate/bin/javac" ] && candidates+=("$candidate")
      [ -x "$candidate/Contents/Home/bin/javac" ] && candidates+=("$candidate/Contents/Home")
    done
  done
  for candidate in "${candidates[@]}"; do
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(sovereign_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$wanted" ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "sovereign: no JDK $wanted or newer found (set JAVA_HOME to one; looked at JAVA_HOME, the PATH and /usr/lib/jvm)" >&2
  return 1
}
