// Where the optional variants of the restore modifier live (config/base/velero-resource-modifiers/variants/).
import type { ResourceModifierVariant } from '../../vmgroup/names.ts';

export const VARIANT_PATHS: Record<ResourceModifierVariant, URL> = {
  'keep-zone': new URL(
    '../../../config/base/velero-resource-modifiers/variants/keep-zone.yaml',
    import.meta.url,
  ),
  'image-by-name': new URL(
    '../../../config/base/velero-resource-modifiers/variants/image-by-name.yaml',
    import.meta.url,
  ),
};
