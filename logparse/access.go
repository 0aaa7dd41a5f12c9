package logparse

import (
	"github.com/gopulse/gopulse/event"
)

// Access logs (nginx and apache), with nginx's log_format variable names:
//
//	clf:      remote_addr ident remote_user [time_local] "request" status body_bytes_sent
//	combined: clf "http_referer" "http_user_agent" [extra…]
//
// The request is split into method, path and protocol when it has that
// shape, else kept whole as request. A "-" gives a field with a nil value.

func accessPrefix() []Matcher {
	return []Matcher{
		Alt(Seq(Capture("remote_addr", event.TypeIP, IP(false)), Space()),
			Seq(Capture("remote_addr", event.TypeString, Word()), Space())),
		Capture("ident", event.TypeString, Word()), Space(),
		Capture("remote_user", event.TypeString, Word()), Space(),
		Bracketed('[', ']', CaptureAs("time_local", event.TypeTimestamp, RoleTime, Time(LayoutCLF))), Space(),
		Alt(
			Seq(Byte('"'),
				Capture("method", event.TypeString, methodTok{}), Byte(' '),
				Capture("path", event.TypeString, Until(' ', false)), Byte(' '),
				Capture("protocol", event.TypeString, protoTok{}), Byte('"')),
			Capture("request", event.TypeString, Quoted()),
		), Space(),
		Capture("status", event.TypeInt, Int()), Space(),
		Capture("body_bytes_sent", event.TypeInt, Alt(Int(), Dash())),
	}
}

// NewCLF returns the Common Log Format parser ("clf").
func NewCLF() *Combinator {
	return NewCombinator("clf", Seq(append(accessPrefix(), End())...), 0)
}

// NewCombined returns the combined access log parser ("combined"): CLF
// plus referer and user agent; anything after them (nginx ingress and
// custom formats append more) is kept raw as "extra".
func NewCombined() *Combinator {
	m := append(accessPrefix(),
		Space(), Capture("http_referer", event.TypeString, Quoted()),
		Space(), Capture("http_user_agent", event.TypeString, Quoted()),
		Opt(Seq(Space(), Capture("extra", event.TypeString, Until(0, true)))),
		End(),
	)
	return NewCombinator("combined", Seq(m...), 0)
}

// methodTok matches an upper-case HTTP method.
type methodTok struct{}

func (methodTok) Match(st *State, pos int) int {
	p := pos
	for p < len(st.In) && ((st.In[p] >= 'A' && st.In[p] <= 'Z') || st.In[p] == '-' || st.In[p] == '_') {
		p++
	}
	if p == pos || p-pos > 20 {
		return -1
	}
	return p
}

// protoTok matches "HTTP/1.1"-like protocol names.
type protoTok struct{}

func (protoTok) Match(st *State, pos int) int {
	p := pos
	for p < len(st.In) && st.In[p] != '"' && st.In[p] != ' ' && st.In[p] != '\\' {
		p++
	}
	if p == pos || p-pos > 16 {
		return -1
	}
	return p
}
