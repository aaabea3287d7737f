/**
 * Products and models (manager): products and their defect types (ko/en names, severity), reference images
 * (normal/defect upload, preview, deactivate), manuals with cause/action sections per defect type, the memory
 * bank and similarity index build (progress, cancel), thresholds with a preview of how the validation images
 * would be judged, the model folders in use, and the watched folder.
 */
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useCall, useCallMutation } from '../../../api/hooks';
import { Empty, ErrorState, Field, Loading } from '../../../app/ui';
import { DefectTypesPanel } from './DefectTypesPanel';
import { ImagesPanel } from './ImagesPanel';
import { ManualsPanel } from './ManualsPanel';
import { ModelPanel } from './ModelPanel';
import { WatchPanel } from './WatchPanel';

type Tab = 'types' | 'images' | 'manuals' | 'model' | 'watch';
const TABS: Tab[] = ['types', 'images', 'manuals', 'model', 'watch'];

export function ProductsScreen() {
  const { t } = useTranslation('inspection');
  const { t: tc } = useTranslation();
  const products = useCall('inspection.products.list', { includeInactive: true });
  const create = useCallMutation('inspection.products.create', ['inspection.products.list']);
  const update = useCallMutation('inspection.products.update', ['inspection.products.list']);
  const [sel, setSel] = useState<number | null>(null);
  const [tab, setTab] = useState<Tab>('types');
  const [form, setForm] = useState({ productCode: '', productName: '', category: '' });
  const product = products.data?.find((p) => p.productId === sel) ?? products.data?.[0] ?? null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const p = await create.mutateAsync({ productCode: form.productCode, productName: form.productName, category: form.category || null });
      setSel(p.productId);
      setForm({ productCode: '', productName: '', category: '' });
    } catch {
      /* shown */
    }
  };

  if (products.isPending) return <Loading />;
  if (products.error) return <ErrorState error={products.error} onRetry={() => void products.refetch()} />;
  return (
    <div className="insp-products">
      <aside className="stack">
        <ul className="insp-pick" aria-label={t('products.title')} data-testid="product-list">
          {products.data.map((p) => (
            <li key={p.productId}>
              <button type="button" className={`insp-pick-item${p.productId === product?.productId ? ' on' : ''}${p.isActive ? '' : ' insp-inactive'}`} onClick={() => setSel(p.productId)} data-testid={`product-${p.productCode}`}>
                <strong>{p.productCode}</strong> <span>{p.productName}</span>
                <span className="muted small">
                  {t('products.counts', { n: p.normalImageCount, d: p.defectImageCount, types: p.defectTypeCount })} · {p.bank ? t('products.bankOk') : t('noBank')}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <form className="card" onSubmit={submit} aria-labelledby="new-product-title">
          <h3 id="new-product-title">{t('products.new')}</h3>
          <Field label={t('products.code')} hint={t('products.codeHint')}>
            <input value={form.productCode} onChange={(e) => setForm({ ...form, productCode: e.target.value })} required pattern="[A-Za-z0-9][A-Za-z0-9._\-]+" />
          </Field>
          <Field label={t('products.name')}>
            <input value={form.productName} onChange={(e) => setForm({ ...form, productName: e.target.value })} required />
          </Field>
          <Field label={t('products.category')}>
            <input value={form.category} onChange={(e) => setForm({ ...form, category: e.target.value })} />
          </Field>
          <button type="submit" className="btn btn-primary" disabled={create.isPending}>
            {tc('common.add')}
          </button>
          <ErrorState error={create.error} />
        </form>
      </aside>
      {product ? (
        <section className="stack" aria-labelledby="product-title">
          <div className="toolbar">
            <h2 id="product-title">
              {product.productCode} · {product.productName}
            </h2>
            <span className="muted small">{product.description}</span>
            <span className="insp-grow" />
            <button type="button" className="btn" onClick={() => update.mutate({ productId: product.productId, isActive: !product.isActive })}>
              {product.isActive ? t('deactivate') : t('activate')}
            </button>
          </div>
          <ErrorState error={update.error} />
          <div className="tabs" role="tablist" aria-label={product.productCode}>
            {TABS.map((x) => (
              <button key={x} type="button" role="tab" aria-selected={tab === x} className={`tab insp-tab-btn${tab === x ? ' active' : ''}`} onClick={() => setTab(x)} data-testid={`ptab-${x}`}>
                {t(`products.tabs.${x}`)}
              </button>
            ))}
          </div>
          <div role="tabpanel">
            {tab === 'types' && <DefectTypesPanel key={product.productId} product={product} />}
            {tab === 'images' && <ImagesPanel key={product.productId} product={product} />}
            {tab === 'manuals' && <ManualsPanel key={product.productId} product={product} />}
            {tab === 'model' && <ModelPanel key={product.productId} product={product} />}
            {tab === 'watch' && <WatchPanel key={product.productId} product={product} />}
          </div>
        </section>
      ) : (
        <Empty />
      )}
    </div>
  );
}
