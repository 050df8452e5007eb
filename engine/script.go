package engine

import (
	"fmt"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/batonhq/baton/engine/model"
)

// DefaultScriptTimeout is Config.ScriptTimeout's default. It also bounds every regular
// expression match of a script: goja runs patterns with lookarounds on regexp2, which does not
// see the script's interrupt, so a backtracking pattern could outlive ScriptTimeout. regexp2
// offers only a process-wide default, set here once, before any goroutine can read it.
const DefaultScriptTimeout = 5 * time.Second

func init() { regexp2.DefaultMatchTimeout = DefaultScriptTimeout }

// runScript evaluates a script task on the instance's variables and stores the result in its
// result variable. Scripts have no side effects outside the step, so a step replayed after a
// version conflict simply runs them again on the fresh state.
func (r *runner) runScript(t *Token, n *model.Node) error {
	var (
		out any
		err error
	)
	switch n.ScriptFormat {
	case "expr":
		out, err = r.runExpr(t, n)
	case "javascript":
		out, err = r.runJavaScript(t, n)
	default:
		err = fmt.Errorf("scriptFormat %q is not supported", n.ScriptFormat)
	}
	if err != nil {
		return &DelegateError{Activity: n.ID, Err: fmt.Errorf("%s script: %w", n.ScriptFormat, err)}
	}
	if n.ResultVariable != "" {
		if err := checkDepth(n.ResultVariable, out); err != nil {
			return &DelegateError{Activity: n.ID, Err: err}
		}
		r.setVar(t, n.ResultVariable, normalizeNumber(deepCopy(out)))
	}
	return nil
}

func (r *runner) runExpr(t *Token, n *model.Node) (any, error) {
	key := r.def.ID() + "/" + n.ID
	prog, ok := r.eng.scripts.Load(key)
	if !ok {
		p, err := expr.Compile(n.Script, expr.AllowUndefinedVariables())
		if err != nil {
			return nil, err
		}
		prog, _ = r.eng.scripts.LoadOrStore(key, p)
	}
	return r.eval(t, prog.(*vm.Program))
}

// runJavaScript runs a script in a fresh goja runtime. The variables the token sees are globals
// (copies: a script changes state only through its result and execution.setVariable); Camunda's
// execution.getVariable, execution.setVariable and execution.setVariableLocal work too. A script
// that runs longer than Config.ScriptTimeout is interrupted and fails the attempt.
func (r *runner) runJavaScript(t *Token, n *model.Node) (any, error) {
	key := r.def.ID() + "/" + n.ID
	cached, ok := r.eng.scripts.Load(key)
	if !ok {
		// Not strict, like the JavaScript engines of Camunda and Flowable: a model's script may
		// assign to undeclared names.
		p, err := goja.Compile(n.ID, n.Script, false)
		if err != nil {
			return nil, err
		}
		cached, _ = r.eng.scripts.LoadOrStore(key, p)
	}
	rt := goja.New()
	vars := r.vars(t)
	for k, v := range vars {
		if err := rt.Set(k, deepCopy(v)); err != nil {
			return nil, err
		}
	}
	execution := rt.NewObject()
	_ = execution.Set("getVariable", func(name string) any { return deepCopy(r.vars(t)[name]) })
	var setErr error
	setter := func(set func(*Token, string, any)) func(string, goja.Value) {
		return func(name string, v goja.Value) {
			out := v.Export()
			if err := checkDepth(name, out); err != nil {
				setErr = err
				rt.Interrupt(err.Error())
				return
			}
			set(t, name, normalizeNumber(out))
		}
	}
	_ = execution.Set("setVariable", setter(r.setVar))
	_ = execution.Set("setVariableLocal", setter(r.setLocal))
	_ = execution.Set("getProcessInstanceId", func() string { return r.st.ID })
	_ = execution.Set("getBusinessKey", func() string { return r.st.BusinessKey })
	if err := rt.Set("execution", execution); err != nil {
		return nil, err
	}
	timer := time.AfterFunc(r.eng.cfg.ScriptTimeout, func() { rt.Interrupt("script timed out") })
	defer timer.Stop()
	v, err := rt.RunProgram(cached.(*goja.Program))
	if setErr != nil {
		return nil, setErr
	}
	if err != nil {
		return nil, err
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, nil
	}
	return v.Export(), nil
}
