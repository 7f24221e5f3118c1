/** A colour for a SageMaker endpoint status (PLATFORM-FACTS lists them all). */
export function endpointStatusEmoji(status: string | undefined): string {
  switch (status) {
    case 'InService':
      return ':large_green_circle:';
    case 'Creating':
    case 'Updating':
    case 'SystemUpdating':
    case 'RollingBack':
      return ':large_yellow_circle:';
    case 'Failed':
    case 'UpdateRollbackFailed':
    case 'OutOfService':
      return ':red_circle:';
    case 'Deleting':
      return ':white_circle:';
    default:
      return ':grey_question:';
  }
}
