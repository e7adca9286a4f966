import { useTranslation } from 'react-i18next';
import type { Graph } from '../../../workflows/graph.ts';
import { nodeLabel } from './helpers.ts';
import type { SimulationState } from './use-simulation.ts';

/** The "what if" form, and where the simulated run went: path, routing, approvals, signals and problems. */
export function SimulationPanel({ sim, graph }: { sim: SimulationState; graph: Graph }) {
  const { t } = useTranslation();
  const { simulator, simulation } = sim;
  return (
    <section className="card" data-testid="simulation">
      <h2>{t('simulate.title')}</h2>
      <p className="muted small">{t('simulate.intro')}</p>
      <form onSubmit={sim.run} className="filters plain">
        <label className="field">
          <span>{t('simulate.orderNumber')}</span>
          <input value={sim.order} onChange={(e) => sim.setOrder(e.target.value)} placeholder={t('simulate.orderHint')} data-testid="simulate-order" />
        </label>
        <label className="field grow">
          <span>{t('simulate.payload')}</span>
          <textarea
            rows={6}
            value={sim.payload}
            onChange={(e) => sim.setPayload(e.target.value)}
            disabled={!!sim.order}
            spellCheck={false}
            className="code"
            data-testid="simulate-payload"
          />
        </label>
        <label className="field checkbox">
          <input type="checkbox" checked={sim.approve} onChange={(e) => sim.setApprove(e.target.checked)} /> <span>{t('simulate.assumeApproved')}</span>
        </label>
        <label className="field checkbox">
          <input type="checkbox" checked={sim.signals} onChange={(e) => sim.setSignals(e.target.checked)} /> <span>{t('simulate.assumeSignals')}</span>
        </label>
        <button type="submit" disabled={simulator.state !== 'idle'} data-testid="simulate-run">
          {t('simulate.run')}
        </button>
      </form>
      {simulator.data?.error && !simulation ? (
        <p className="form-error" role="alert">
          {t(`errors.${simulator.data.error.code}`, simulator.data.error.params)}
        </p>
      ) : null}
      {simulation ? (
        <div data-testid="simulation-result">
          <p className={simulation.stopped === 'end' ? 'notice success' : 'notice warning'} role="status">
            {t(`simulate.stopped.${simulation.stopped}`, {
              steps: simulation.path.length,
              node: simulation.end ? nodeLabel(graph, simulation.end.nodeId) : '',
            })}
            {simulation.end?.message ? ` · ${simulation.end.message}` : ''}
          </p>
          <h3>{t('simulate.path')}</h3>
          <ol className="sim-path" data-testid="simulation-path">
            {simulation.steps.map((s, i) => (
              <li key={i}>
                {nodeLabel(graph, s.nodeId)} <span className="muted small">{s.handles.map((h) => t(`handles.${h}`, { defaultValue: h })).join(', ')}</span>
              </li>
            ))}
          </ol>
          <h3>{t('simulate.routing')}</h3>
          {simulation.routing.length ? (
            <ul data-testid="simulation-routing">
              {simulation.routing.map((r, i) => (
                <li key={i}>
                  <strong>{nodeLabel(graph, r.nodeId)}: </strong>
                  {r.assumed
                    ? t('simulate.routingAssumed')
                    : r.ok
                      ? t('simulate.routingOk', { warehouses: r.warehouses.join(', '), count: r.shipments })
                      : t('simulate.routingShort', {
                          skus: r.shortages.map((x) => t('simulate.shortage', { sku: x.sku, requested: x.requested, available: x.available })).join('; '),
                        })}
                  {r.policy ? <span className="muted small"> · {t(`simulate.policy.${r.policy}`)}</span> : null}
                  {r.allocations.length ? (
                    <div className="muted small">{r.allocations.map((a) => `${a.sku} × ${a.quantity} → ${a.warehouse}`).join(' · ')}</div>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t('simulate.noRouting')}</p>
          )}
          <h3>{t('simulate.approvals')}</h3>
          {simulation.approvals.length ? (
            <ul data-testid="simulation-approvals">
              {simulation.approvals.map((a, i) => (
                <li key={i}>
                  {t('simulate.wouldAsk', { roles: a.roles.map((r) => t(`roles.${r}`, { defaultValue: r })).join(', '), title: a.title })} ·{' '}
                  {t(`handles.${a.decision}`)}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t('simulate.noApprovals')}</p>
          )}
          {simulation.signals.length ? (
            <p className="muted small">{t('simulate.signals', { signals: simulation.signals.map((x) => x.signal).join(', ') })}</p>
          ) : null}
          {simulation.problems.length ? (
            <ul className="form-error">
              {simulation.problems.map((p, i) => (
                <li key={i}>
                  {nodeLabel(graph, p.nodeId)}: {p.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
