/**
 * The sources the rules cite (docs/clinical-evidence.md), each with an absolute link. Label facts have no DOI, so they
 * link to the official label databases (DailyMed for the US label, the EMA page for the EU SmPC).
 */
import type { EvidenceRef } from './types';

export const SOURCES = {
  gronchi2010: {
    citation: 'Gronchi A et al., Cancer 2010;116:1847-58',
    label: 'Gronchi 2010: high-dose imatinib in GIST (Cancer)',
    url: 'https://doi.org/10.1002/cncr.24944',
  },
  metaGist2010: {
    citation: 'MetaGIST, J Clin Oncol 2010;28:1247-53',
    label: 'MetaGIST 2010: 400 vs 800 mg/day in 1,640 patients (J Clin Oncol)',
    url: 'https://doi.org/10.1200/JCO.2009.24.2099',
  },
  eortc62005: {
    citation: 'Verweij J et al. (EORTC 62005), Lancet 2004;364:1127-34',
    label: 'EORTC 62005: 400 mg once vs twice daily (Lancet 2004)',
    url: 'https://doi.org/10.1016/S0140-6736(04)17098-0',
  },
  s0033: {
    citation: 'Blanke CD et al. (S0033), J Clin Oncol 2008;26:626-32',
    label: 'S0033: 400 vs 800 mg/day and crossover (J Clin Oncol 2008)',
    url: 'https://doi.org/10.1200/JCO.2007.13.4452',
  },
  crossover2005: {
    citation: 'Zalcberg JR et al., Eur J Cancer 2005;41:1751-7',
    label: 'Zalcberg 2005: crossover to 800 mg after progression (Eur J Cancer)',
    url: 'https://doi.org/10.1016/j.ejca.2005.04.034',
  },
  esmo2022: {
    citation: 'Casali PG et al., ESMO-EURACAN-GENTURIS guideline, Ann Oncol 2022;33:20-33',
    label: 'ESMO-EURACAN-GENTURIS GIST guideline 2022 (Ann Oncol)',
    url: 'https://doi.org/10.1016/j.annonc.2021.09.005',
  },
  blay2021: {
    citation: 'Blay JY et al., Nat Rev Dis Primers 2021',
    label: 'Blay 2021: GIST primer (Nat Rev Dis Primers)',
    url: 'https://doi.org/10.1038/s41572-021-00254-5',
  },
  navigator2020: {
    citation: 'Heinrich MC et al. (NAVIGATOR), Lancet Oncol 2020;21:935-46',
    label: 'NAVIGATOR: avapritinib in PDGFRA D842V GIST (Lancet Oncol 2020)',
    url: 'https://doi.org/10.1016/S1470-2045(20)30269-2',
  },
  hepaticPk2008: {
    citation: 'Ramanathan RK et al., J Clin Oncol 2008;26:563-9',
    label: 'Ramanathan 2008: imatinib in liver dysfunction (J Clin Oncol)',
    url: 'https://doi.org/10.1200/JCO.2007.11.0304',
  },
  renalPk2008: {
    citation: 'Gibbons J et al., J Clin Oncol 2008;26:570-6',
    label: 'Gibbons 2008: imatinib in renal dysfunction (J Clin Oncol)',
    url: 'https://doi.org/10.1200/JCO.2007.13.3819',
  },
  rifampicinPk2004: {
    citation: 'Bolton AE et al., Cancer Chemother Pharmacol 2004;53:102-6',
    label: 'Bolton 2004: rifampicin cuts imatinib AUC by 74% (Cancer Chemother Pharmacol)',
    url: 'https://doi.org/10.1007/s00280-003-0722-9',
  },
  usLabel: {
    citation: 'US imatinib prescribing information',
    label: 'US imatinib label (DailyMed)',
    url: 'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=imatinib',
  },
  euSmpc: {
    citation: 'Glivec EU SmPC',
    label: 'Glivec EU product information (EMA)',
    url: 'https://www.ema.europa.eu/en/medicines/human/EPAR/glivec',
  },
} as const satisfies Record<string, EvidenceRef>;

/** Wording required for evidence docs/clinical-evidence.md marks UNVERIFIED. */
export const UNVERIFIED_NOTE = 'per older US labelling; confirm locally';
