import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';

import { Layout } from '../components/Layout';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <Layout title={t('notFound.title')}>
      <p>{t('notFound.body')}</p>
      <p><Link to="/portal">{t('notFound.home')}</Link></p>
    </Layout>
  );
}
