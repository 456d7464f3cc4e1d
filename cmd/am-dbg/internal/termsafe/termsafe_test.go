package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ready", "Ready"},
		{"zażółć 状態 ✓", "zażółć 状態 ✓"},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\x07`},
		{"a\nb\tc\rd", `a\x0ab\x09c\x0dd`},
		{"del\x7f", `del\x7f`},
		{"csi\u009b31m", `csi\u009b31m`},
		{"nel\u0085", `nel\u0085`},
		{"bad\xff\xfe", `bad\xff\xfe`},
		{"cut\xe2\x82", `cut\xe2\x82`},
		{"rtl\u202eevil", `rtl\u202eevil`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
		{"sep\u2028", `sep\u2028`},
		{"\x00", `\x00`},
		{"", ""},
	} {
		if got := String(c.in); got != c.want {
			t.Errorf("String(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestText(t *testing.T) {
	if got, want := Text("line 1\n\tline 2\r\x1b[31mred"), "line 1\n\tline 2\\x0d\\x1b[31mred"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

// TestStringLeavesNoControls checks every single byte and every rune up to
// U+FFFF: the result is valid UTF-8 holding no character a terminal acts
// on.
func TestStringLeavesNoControls(t *testing.T) {
	check := func(in string) {
		t.Helper()
		out := String(in)
		if !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not valid UTF-8", in, out)
		}
		for _, r := range out {
			if r < 0x20 || r == 0x7f || unsafeRune(r) {
				t.Fatalf("String(%q) = %q keeps %U", in, out, r)
			}
		}
	}
	for c := range 256 {
		check(string([]byte{byte(c)}))
	}
	for r := rune(0); r <= 0xffff; r++ {
		check("x" + string(r) + "y")
	}
}

func TestStringSafeInputNotCopied(t *testing.T) {
	s := strings.Repeat("machine-42 ", 10)
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String of safe text allocates %v times, want 0", n)
	}
}

func BenchmarkString(b *testing.B) {
	for _, c := range []struct{ name, in string }{
		{"safe", "worker-17 Ready Working Done"},
		{"unsafe", "worker\x1b[2J Ready\u009b Done"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = String(c.in)
			}
		})
	}
}
