# Shared by the bench scripts: put a generated section into a Markdown document.
#
#   doc_section DOC NAME TITLE INTRO MD
#
# Replaces what lies between "<!-- bench:NAME begin -->" and "<!-- bench:NAME end -->" in
# DOC with "## TITLE", the INTRO line and the contents of the file MD, or appends the
# section when the markers are missing, so hand-written analysis around it is kept.  The
# document is rewritten atomically (a temporary file beside it, then rename), so an
# interrupted benchmark never leaves it half-written.  Returns non-zero on failure.
doc_section() {
	local doc=$1 name=$2 title=$3 intro=$4 md=$5 tmp
	tmp=$(mktemp "$(dirname "$doc")/.bench-doc.XXXXXX") || return 1
	[ -f "$doc" ] || printf '# Benchmarks\n' >"$doc"
	chmod --reference="$doc" "$tmp"
	perl -e '
		my ($doc, $md, $tmp, $name, $title, $intro) = @ARGV;
		local $/;
		open(my $f, "<", $doc) or die "$doc: $!"; my $d = <$f>; close $f;
		open(my $g, "<", $md) or die "$md: $!"; my $m = <$g>; close $g;
		my $b = "<!-- bench:$name begin -->";
		my $e = "<!-- bench:$name end -->";
		my $sec = "$b\n## $title\n\n$intro\n\n$m$e";
		# The begin marker may carry a note ("<!-- bench:x begin (...) -->").
		my $re = qr/<!-- bench:\Q$name\E begin[^\n]*?-->.*?\Q$e\E/s;
		if ($d =~ $re) {
			$d =~ s/$re/$sec/;
		} else {
			$d .= "\n" unless $d =~ /\n\z/;
			$d .= "\n$sec\n";
		}
		open(my $o, ">", $tmp) or die "$tmp: $!"; print $o $d; close $o or die "$tmp: $!";
	' "$doc" "$md" "$tmp" "$name" "$title" "$intro" && mv "$tmp" "$doc" && return 0
	rm -f "$tmp"
	return 1
}
